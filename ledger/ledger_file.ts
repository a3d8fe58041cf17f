/**
 * Whether an SQLite file is a ledger, asked before anything is written to it.
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { LedgerError } from "./errors.ts";

/**
 * Refuses, before anything is written to it, an SQLite file that is not a ledger: a file with
 * tables but no schema version (another program's database), or with a version but no `meta`
 * table. An empty file (one `create` just made) passes and is given the schema by `migrate`.
 */
export function checkLedgerFile(db: DatabaseSync, path: string): void {
  const version = Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
    name: string;
  }[];
  const hasMeta = tables.some((table) => table.name === "meta");
  if (version === 0 ? tables.length > 0 : !hasMeta) {
    throw new LedgerError("NOT_A_LEDGER", `${path} is an SQLite database but not a SecuraMem ledger`);
  }
}
