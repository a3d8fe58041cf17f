/**
 * The bounded intake between HTTP requests and the ledger's group commit. At most `capacity`
 * drafts are in flight (waiting or being committed); a request that would pass the bound is
 * refused at once with `BACKPRESSURE`, so memory never grows with the offered load.
 * @module
 */
import { SecuraMemError } from "../core/errors.ts";
import type { RecordDraft } from "../core/record.ts";
import { LedgerError } from "../ledger/errors.ts";
import { type DiskProbe, probeDisk } from "../ledger/files.ts";
import type { AppendResult, Ledger } from "../ledger/ledger.ts";
import { ServerError } from "./errors.ts";
import type { DropReason, ServerMetrics } from "./metrics.ts";

/** Bytes `disk()` writes to see whether a failed disk takes writes again: a few commits of single records. */
const DISK_PROBE_BYTES = 256 * 1024;

/** A disk that refused an append: full, or failing to write or sync. */
type DiskFault = Exclude<DiskProbe, "ok">;

/** What `/readyz` and `/v1/status` say of the ledger's disk. */
export interface DiskState {
  /** False while the disk is full. */
  readonly hasRoom: boolean;
  /** False while the disk fails writes or syncs (EIO). */
  readonly syncs: boolean;
}

/** Drafts in flight, the bound, and a way to wait until none is. */
export class Intake {
  private inFlight = 0;
  private closed = false;
  private idle: (() => void)[] = [];
  /** Set by an append the disk refused, until an append or a probe succeeds. */
  private diskFault: DiskFault | undefined;

  constructor(
    private readonly ledger: Ledger,
    readonly capacity: number,
    private readonly metrics: ServerMetrics,
  ) {}

  /** Drafts accepted and not yet durable or refused. */
  get depth(): number {
    return this.inFlight;
  }

  /** False once `close` was called. */
  get open(): boolean {
    return !this.closed;
  }

  /** Appends `drafts` all or none; resolves once they are durable and covered by a checkpoint. */
  async submit(drafts: readonly RecordDraft[]): Promise<AppendResult[]> {
    this.admit(drafts.length);
    this.inFlight += drafts.length;
    try {
      const results = await this.ledger.appendBatch(drafts);
      this.diskFault = undefined;
      return results;
    } catch (error) {
      this.noteDiskFault(error);
      this.metrics.drop(dropReasonOf(error), drafts.length);
      if (error instanceof SecuraMemError && error.code === "LOCKED") this.metrics.busyRejection();
      throw error;
    } finally {
      this.inFlight -= drafts.length;
      if (this.inFlight === 0) { for (const wake of this.idle.splice(0)) wake(); }
    }
  }

  /**
   * The ledger's disk as the newest append found it. After a refusal (full, or failing to sync) a
   * probe writes and syncs DISK_PROBE_BYTES there, so `/readyz` recovers once the disk does.
   */
  async disk(): Promise<DiskState> {
    if (this.diskFault !== undefined) {
      const probe = await probeDisk(this.ledger.paths.dir, DISK_PROBE_BYTES);
      this.diskFault = probe === "ok" ? undefined : probe;
    }
    return { hasRoom: this.diskFault !== "full", syncs: this.diskFault !== "failing" };
  }

  /** Refuses new drafts from now on; resolves when every accepted one is durable or refused. */
  close(): Promise<void> {
    this.closed = true;
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Remembers a refusal by the disk; logs it once per episode, the operator's cue to act. */
  private noteDiskFault(error: unknown): void {
    const fault = diskFaultOf(error);
    if (fault === undefined || fault === this.diskFault) return;
    const message = error instanceof Error ? error.message : String(error);
    console.error(`smem serve: ${DISK_FAULT_ADVICE[fault]}: ${message}`);
    this.diskFault = fault;
  }

  private admit(count: number): void {
    if (this.closed) {
      this.metrics.drop("shutting_down", count);
      this.metrics.busyRejection();
      throw new ServerError("SHUTTING_DOWN", "the server is shutting down; retry against its successor");
    }
    if (count > this.capacity) {
      this.metrics.drop("invalid", count);
      throw new ServerError(
        "BATCH_TOO_LARGE",
        `a batch of ${count} drafts exceeds the intake capacity of ${this.capacity}`,
      );
    }
    if (this.inFlight + count > this.capacity) {
      this.metrics.drop("audit_backpressure", count);
      this.metrics.busyRejection();
      throw new ServerError(
        "BACKPRESSURE",
        `intake full (${this.inFlight} of ${this.capacity} drafts in flight); retry later`,
      );
    }
  }
}

function dropReasonOf(error: unknown): DropReason {
  if (!(error instanceof SecuraMemError)) return "io_error";
  if (error.code === "LOCKED") return "ledger_busy";
  if (error.code === "DISK_FULL") return "disk_full";
  if (["CONFLICT", "SEQ_GAP", "SEQ_REUSED"].includes(error.code)) return "conflict";
  if (error instanceof LedgerError) return "io_error";
  return "invalid";
}

/** The disk fault an append's error shows, if any. */
function diskFaultOf(error: unknown): DiskFault | undefined {
  if (!(error instanceof LedgerError)) return undefined;
  if (error.code === "DISK_FULL") return "full";
  return error.code === "IO_ERROR" ? "failing" : undefined;
}

const DISK_FAULT_ADVICE = {
  full: "appends refused until space is freed",
  failing: "appends refused while the disk fails to write or sync (check it)",
} as const;
