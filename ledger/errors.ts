/**
 * Errors of the ledger layer.
 * @module
 */
import { SecuraMemError } from "../core/errors.ts";

/**
 * A ledger could not be created, opened or written: `LEDGER_EXISTS`, `NOT_A_LEDGER`,
 * `SCHEMA_TOO_NEW`, `LOCKED`, `READ_ONLY`, `IO_ERROR`, `DISK_FULL`, `CONFLICT`, `BLOB_UNKNOWN`, `BLOB_ERASED`.
 */
export class LedgerError extends SecuraMemError {}

/** Ledger verification found the stored evidence inconsistent; `where` locates the first failure. */
export class VerificationError extends SecuraMemError {}
