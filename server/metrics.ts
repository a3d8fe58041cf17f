/**
 * The server's Prometheus metrics (prom-client registry, text exposition format 0.0.4).
 * Label values come from clients (stream, kind), so their number is capped: past
 * `MAX_LABEL_SETS` distinct pairs, new ones are counted under `_other`.
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CommitReport } from "../ledger/ledger.ts";

/** Most distinct (stream, kind) label pairs kept; more are folded into `_other`. */
export const MAX_LABEL_SETS = 1000;

/** Why records were refused, as `audit_drop_total{reason}`. */
export type DropReason =
  | "audit_backpressure"
  | "shutting_down"
  | "invalid"
  | "conflict"
  | "ledger_busy"
  | "disk_full"
  | "io_error";

/** What the gauges read at each scrape. */
export interface GaugeSources {
  /** Drafts accepted and not yet durable. */
  queueDepth(): number;
  /** Size of the newest signed checkpoint. */
  logSize(): number;
  /** Each trusted witness's name and the largest size it cosigned (0 when none). */
  witnessSizes(): readonly { readonly witness: string; readonly size: number }[];
}

/** Every metric the server exports. */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly labelSets = new Set<string>();
  private readonly appended = new Counter({
    name: "audit_appended_total",
    help: "Records appended and durable, by stream and kind.",
    labelNames: ["stream", "kind"] as const,
    registers: [this.registry],
  });
  private readonly bytes = new Counter({
    name: "audit_bytes_total",
    help: "Canonical record bytes appended.",
    registers: [this.registry],
  });
  private readonly drops = new Counter({
    name: "audit_drop_total",
    help: "Records refused, by reason (none of them was stored).",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  private readonly busy = new Counter({
    name: "busy_rejections_total",
    help: "Requests refused with 503 because the intake queue was full or the ledger locked.",
    registers: [this.registry],
  });
  private readonly verifyFailures = new Counter({
    name: "audit_verify_fail_total",
    help: "Verifications that found the ledger not intact.",
    registers: [this.registry],
  });
  private readonly checkpoints = new Counter({
    name: "audit_checkpoints_total",
    help: "Signed checkpoints stored by this server.",
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: "audit_append_latency_seconds",
    help: "Time from a write request's arrival to its durable receipts.",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /** `gauges` are read at each scrape. */
  constructor(gauges: GaugeSources) {
    new Gauge({
      name: "audit_queue_depth",
      help: "Records accepted by the intake and not yet durable.",
      registers: [this.registry],
      collect() {
        this.set(gauges.queueDepth());
      },
    });
    new Gauge({
      name: "audit_log_size",
      help: "Size of the log's newest signed checkpoint.",
      registers: [this.registry],
      collect() {
        this.set(gauges.logSize());
      },
    });
    new Gauge({
      name: "audit_witness_cosigned_size",
      help:
        "Largest checkpoint size each trusted witness (smem serve --witness) has cosigned; 0 before its first.",
      labelNames: ["witness"] as const,
      registers: [this.registry],
      collect() {
        for (const { witness, size } of gauges.witnessSizes()) this.set({ witness }, size);
      },
    });
    this.drops.inc({ reason: "audit_backpressure" }, 0);
    this.busy.inc(0);
    this.verifyFailures.inc(0);
  }

  /** Counts what a committed transaction added. */
  observeCommit(commit: CommitReport): void {
    let bytes = 0;
    for (const record of commit.records) {
      this.appended.inc(this.appendedLabels(record.stream, record.kind));
      bytes += record.bytes;
    }
    this.bytes.inc(bytes);
    if (commit.checkpointSize !== undefined) this.checkpoints.inc();
  }

  /** Counts `count` refused records. */
  drop(reason: DropReason, count: number): void {
    this.drops.inc({ reason }, count);
  }

  /** Counts a request refused with 503. */
  busyRejection(): void {
    this.busy.inc();
  }

  /** Counts a failed verification. */
  verifyFailed(): void {
    this.verifyFailures.inc();
  }

  /** Records the latency of one write request, in milliseconds. */
  observeLatency(ms: number): void {
    this.latency.observe(ms / 1000);
  }

  /** The exposition text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Prometheus content type of `text()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  private appendedLabels(stream: string, kind: string): { stream: string; kind: string } {
    const key = `${stream}\n${kind}`;
    if (this.labelSets.has(key)) return { stream, kind };
    if (this.labelSets.size >= MAX_LABEL_SETS) return { stream: "_other", kind: "_other" };
    this.labelSets.add(key);
    return { stream, kind };
  }
}
