/** Helpers for ledger tests: temporary ledgers with a fixed clock. */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Ledger } from "../ledger/ledger.ts";
import { LEAF_NODES_FROM } from "../ledger/node_store.ts";
import { RECORD_COLUMNS } from "../ledger/recent.ts";
import { guardSql } from "../ledger/schema.ts";
import { verifyLedger, type VerifyOptions, type VerifyReport } from "../ledger/verify.ts";
import type { RecordDraft } from "../core/record.ts";

export async function tempLedger(options: Parameters<typeof Ledger.create>[1] = {}): Promise<Ledger> {
  const dir = await Deno.makeTempDir({ prefix: "smem-test-" });
  let now = 1_730_246_400_000;
  return await Ledger.create(`${dir}/ledger`, { clock: () => now++, writerId: "test@host", ...options });
}

/**
 * Makes a ledger in `dir` named `name` with `count` records of ~1 KiB (`ModelInvoked`, `attrs.n`
 * counting from 0), appended 500 at a time.
 */
export async function createKiBLedger(dir: string, name: string, count: number): Promise<void> {
  const ledger = await Ledger.create(dir, { name });
  const pad = "p".repeat(900);
  for (let done = 0; done < count; done += 500) {
    const size = Math.min(500, count - done);
    await ledger.appendBatch(
      Array.from({ length: size }, (_, n) => ({ kind: "ModelInvoked", attrs: { n: done + n, pad } })),
    );
  }
  ledger.close();
}

export function agentDraft(i: number, extra: Partial<RecordDraft> = {}): RecordDraft {
  return {
    kind: ["PromptReceived", "ModelInvoked", "ToolCalled"][i % 3],
    stream: i % 2 === 0 ? "agent" : "tools",
    actor: { user_id: `u-${i % 4}` },
    subject: { model: "m-1" },
    attrs: { i },
    ...extra,
  };
}

/** Verifies `ledger` and asserts that it passed, with the failure's message otherwise; the report. */
export async function assertVerifies(ledger: Ledger, options?: VerifyOptions): Promise<VerifyReport> {
  const report = await verifyLedger(ledger, options);
  assert.equal(report.ok, true, report.failure?.message);
  return report;
}

export async function removeLedger(ledger: Ledger): Promise<void> {
  ledger.close();
  await Deno.remove(ledger.paths.dir.replace(/\/ledger$/, ""), { recursive: true });
}

/** Turns a current ledger back into schema 5, which had no `cosignatures` table. */
export function downgradeToSchema5(dir: string): void {
  const db = new DatabaseSync(`${dir}/ledger.db`);
  db.exec(`DROP TABLE cosignatures;
PRAGMA user_version = 5;`);
  db.close();
}

/** Turns a current ledger back into schema 4, which had no `recent` table: its rows go to `records`. */
export function downgradeToSchema4(dir: string): void {
  downgradeToSchema5(dir);
  const db = new DatabaseSync(`${dir}/ledger.db`);
  db.exec(`INSERT INTO records (${RECORD_COLUMNS}) SELECT ${RECORD_COLUMNS} FROM recent;
DROP TABLE recent;
PRAGMA user_version = 4;`);
  db.close();
}

/**
 * Turns a current ledger back into schema 3, which stored no leaf hashes: drops its leaf rows
 * (ids that are multiples of 64) and `leaf_nodes_from`.
 */
export function downgradeToSchema3(dir: string): void {
  downgradeToSchema4(dir);
  const db = new DatabaseSync(`${dir}/ledger.db`);
  db.exec(`DROP TRIGGER nodes_no_update; DROP TRIGGER nodes_no_delete;
DELETE FROM nodes WHERE id % 64 = 0;
DELETE FROM meta WHERE key = '${LEAF_NODES_FROM}';
${guardSql("nodes")}
PRAGMA user_version = 3;`);
  db.close();
}
