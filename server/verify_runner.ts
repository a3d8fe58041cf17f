/**
 * Runs full verifications on a handle of their own (a consistent snapshot, so intake goes on),
 * one at a time, and keeps the outcome of the last one for `/readyz`, the dashboard and metrics.
 * @module
 */
import { Ledger } from "../ledger/ledger.ts";
import { verifyLedger } from "../ledger/verify.ts";
import type { ServerMetrics } from "./metrics.ts";

/** The outcome of the last verification. */
export interface VerifyStatus {
  readonly state: "never" | "running" | "ok" | "failed";
  /** Records in the verified snapshot. */
  readonly size?: number;
  readonly recordsChecked?: number;
  readonly checkpointsChecked?: number;
  readonly finishedMs?: number;
  readonly durationMs?: number;
  readonly failure?: { readonly code: string; readonly message: string; readonly where: object };
}

/** One verification at a time; concurrent callers share the running one. */
export class VerifyRunner {
  private last: VerifyStatus = { state: "never" };
  private running: Promise<VerifyStatus> | undefined;

  constructor(private readonly dir: string, private readonly metrics: ServerMetrics) {}

  /** The last outcome, or `running`. */
  get status(): VerifyStatus {
    return this.running === undefined ? this.last : { ...this.last, state: "running" };
  }

  /** Verifies the whole ledger now (or joins the verification under way). */
  run(): Promise<VerifyStatus> {
    this.running ??= this.verify().finally(() => (this.running = undefined));
    return this.running;
  }

  private async verify(): Promise<VerifyStatus> {
    const started = performance.now();
    const ledger = await Ledger.open(this.dir);
    try {
      const report = await verifyLedger(ledger);
      if (!report.ok) this.metrics.verifyFailed();
      this.last = {
        state: report.ok ? "ok" : "failed",
        size: report.size,
        recordsChecked: report.recordsChecked,
        checkpointsChecked: report.checkpointsChecked,
        finishedMs: Date.now(),
        durationMs: Math.round(performance.now() - started),
        ...(report.failure === undefined ? {} : {
          failure: {
            code: report.failure.code,
            message: report.failure.message,
            where: report.failure.where,
          },
        }),
      };
      return this.last;
    } finally {
      ledger.close();
    }
  }
}
