/**
 * SQLite's errors in the ledger's codes: a lock, a read-only file, a damaged database, or I/O.
 * @module
 */
import { LedgerError } from "./errors.ts";
import { ioError } from "./files.ts";

/** Maps a SQLite error to a LedgerError with the ledger's codes. */
export function sqliteError(error: unknown, path: string): LedgerError {
  if (error instanceof LedgerError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/database is locked|SQLITE_BUSY/i.test(message)) {
    return new LedgerError("LOCKED", `${path} is locked by another writer (waited for the busy timeout)`);
  }
  if (/readonly|read-only/i.test(message)) return new LedgerError("READ_ONLY", `${path} is read-only`);
  if (/malformed|not a database|corrupt|no such (table|column)/i.test(message)) {
    return new LedgerError("DATABASE_CORRUPT", `${path}: ${message.split("\n")[0]}`);
  }
  return ioError(error, path);
}
