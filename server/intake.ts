/**
 * The bounded intake between HTTP requests and the ledger's group commit. At most `capacity`
 * drafts are in flight (waiting or being committed); a request that would pass the bound is
 * refused at once with `BACKPRESSURE`, so memory never grows with the offered load.
 * @module
 */
import { SecuraMemError } from "../core/errors.ts";
import type { RecordDraft } from "../core/record.ts";
import { LedgerError } from "../ledger/errors.ts";
import type { AppendResult, Ledger } from "../ledger/ledger.ts";
import { ServerError } from "./errors.ts";
import type { DropReason, ServerMetrics } from "./metrics.ts";

/** Drafts in flight, the bound, and a way to wait until none is. */
export class Intake {
  private inFlight = 0;
  private closed = false;
  private idle: (() => void)[] = [];

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
      return await this.ledger.appendBatch(drafts);
    } catch (error) {
      this.metrics.drop(dropReasonOf(error), drafts.length);
      if (error instanceof SecuraMemError && error.code === "LOCKED") this.metrics.busyRejection();
      throw error;
    } finally {
      this.inFlight -= drafts.length;
      if (this.inFlight === 0) { for (const wake of this.idle.splice(0)) wake(); }
    }
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
  if (["CONFLICT", "SEQ_GAP", "SEQ_REUSED"].includes(error.code)) return "conflict";
  if (error instanceof LedgerError) return "io_error";
  return "invalid";
}
