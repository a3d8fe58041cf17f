/**
 * What the routes share: the ledger handles, the intake, metrics and the verifier.
 * @module
 */
import type { NoteVerifier } from "../core/keys.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { Intake } from "./intake.ts";
import type { ServerMetrics } from "./metrics.ts";
import type { VerifyRunner } from "./verify_runner.ts";

/** The server's parts, as the routes use them. */
export interface ApiDeps {
  /** Appends (group commit) and builds the receipts of what it appended. */
  readonly writer: Ledger;
  /** Serves reads on its own connection: it sees committed data only. */
  readonly reader: Ledger;
  readonly intake: Intake;
  readonly metrics: ServerMetrics;
  readonly verifier: VerifyRunner;
  /** Bearer token for writes (and reads, with `authReads`). */
  readonly token: string;
  readonly authReads: boolean;
  /** Largest request body, bytes. */
  readonly maxBodyBytes: number;
  /** Witnesses whose cosignatures the server takes (none: `POST /v1/cosignatures` is refused). */
  readonly witnesses: readonly NoteVerifier[];
}
