/**
 * The bounded intake between HTTP requests and the ledger's group commit. At most `capacity`
 * drafts are in flight (waiting or being committed); a request that would pass the bound is
 * refused at once with `BACKPRESSURE`, so memory never grows with the offered load.
 * @module
 */
import { SecuraMemError } from "../core/errors.ts";
import type { RecordDraft } from "../core/record.ts";
import { LedgerError } from "../ledger/errors.ts";
import { hasRoomFor } from "../ledger/files.ts";
import type { AppendResult, Ledger } from "../ledger/ledger.ts";
import { ServerError } from "./errors.ts";
import type { DropReason, ServerMetrics } from "./metrics.ts";

/** Bytes `hasRoom` writes to see whether a full disk has room again: a few commits of single records. */
const ROOM_PROBE_BYTES = 256 * 1024;

/** Drafts in flight, the bound, and a way to wait until none is. */
export class Intake {
  private inFlight = 0;
  private closed = false;
  private idle: (() => void)[] = [];
  private diskFull = false;

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
      this.diskFull = false;
      return results;
    } catch (error) {
      if (!this.diskFull && isDiskFullError(error)) {
        // Once per episode, not once per refused request: the operator's cue to free space.
        console.error(`smem serve: appends refused until space is freed: ${error.message}`);
        this.diskFull = true;
      }
      this.metrics.drop(dropReasonOf(error), drafts.length);
      if (error instanceof SecuraMemError && error.code === "LOCKED") this.metrics.busyRejection();
      throw error;
    } finally {
      this.inFlight -= drafts.length;
      if (this.inFlight === 0) { for (const wake of this.idle.splice(0)) wake(); }
    }
  }

  /**
   * False while the newest append found the ledger's disk full and there is still not room for
   * ROOM_PROBE_BYTES there (checked by writing them), so `/readyz` recovers once space is freed.
   */
  async hasRoom(): Promise<boolean> {
    if (this.diskFull) this.diskFull = !(await hasRoomFor(this.ledger.paths.dir, ROOM_PROBE_BYTES));
    return !this.diskFull;
  }

  /** Refuses new drafts from now on; resolves when every accepted one is durable or refused. */
  close(): Promise<void> {
    this.closed = true;
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
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

function isDiskFullError(error: unknown): error is LedgerError {
  return error instanceof LedgerError && error.code === "DISK_FULL";
}
