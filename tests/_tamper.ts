/** Helpers for tampering with a ledger file the way an attacker would: through Debian's sqlite3 CLI. */
import assert from "node:assert/strict";
import { GUARD_TRIGGERS, GUARDS_SQL } from "../ledger/schema.ts";
import type { VerifyReport } from "../ledger/verify.ts";

/** Runs `sql` on the database file `db` with the sqlite3 CLI; asserts it succeeded. */
export function sqlite(db: string, sql: string): void {
  const out = new Deno.Command("sqlite3", { args: [db, sql] }).outputSync();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

/** `sql` wrapped so the append-only guard triggers are dropped around it and restored after. */
export function unguarded(sql: string): string {
  return `${GUARD_TRIGGERS.map((name) => `DROP TRIGGER ${name};`).join("\n")}\n${sql}\n${GUARDS_SQL}`;
}

/** `bytes` as an SQL blob literal. */
export function hex(bytes: Uint8Array): string {
  return `X'${bytes.toHex()}'`;
}

/** Asserts verify failed with `code`, at `leafIndex` when given. */
export function expectFailure(report: VerifyReport, code: string, leafIndex?: number): void {
  assert.equal(report.ok, false, `expected ${code}, verify passed`);
  assert.equal(report.failure?.code, code, report.failure?.message);
  if (leafIndex !== undefined) {
    assert.equal(report.failure?.where.leafIndex, leafIndex, report.failure?.message);
  }
}
