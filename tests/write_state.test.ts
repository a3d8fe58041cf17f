/**
 * What a writer remembers between its commits (the log size, chain heads, the tail's first leaf,
 * the newest subject filter; ledger/foreign_commits.ts) must never outlive the database state it
 * describes: another handle's commits and this handle's rollbacks both make it read again.
 */
import assert from "node:assert/strict";
import { Ledger } from "../ledger/ledger.ts";
import { agentDraft, assertVerifies, removeLedger, tempLedger } from "./_ledger.ts";

function contentId(i: number): string {
  return `b3:${i.toString(16).padStart(64, "0")}`;
}

function subjectDraft(i: number) {
  return agentDraft(i, { stream: "shared", subject: { content_id: contentId(i) } });
}

/** The leaves a subject query finds for draft `i`'s subject. */
function leavesOf(ledger: Ledger, i: number): number[] {
  return ledger.query({ subject: contentId(i) }).records.map((record) => record.index);
}

Deno.test("write state: two handles appending in turn to one chain see each other's commits", async () => {
  const first = await tempLedger();
  const second = await Ledger.open(first.paths.dir, { writerId: "test@host" });
  try {
    const handles = [first, second];
    for (let i = 0; i < 120; i++) {
      // Runs of 1–3 appends per handle, so each finds the other's records, heads and filter bits.
      const writer = handles[Math.floor(i / (1 + (i % 3))) % 2];
      const result = await writer.append(subjectDraft(i));
      assert.deepEqual([result.index, result.seq], [i, i + 1], `append ${i}`);
    }
    await second.appendBatch(Array.from({ length: 40 }, (_, i) => subjectDraft(120 + i)));
    const last = await first.append(subjectDraft(160));
    assert.deepEqual([last.index, last.seq], [160, 161]);
    for (const i of [0, 1, 2, 77, 119, 120, 159, 160]) {
      assert.deepEqual(leavesOf(first, i), [i], `subject ${i}`);
    }
    await assertVerifies(first);
  } finally {
    second.close();
    await removeLedger(first);
  }
});

Deno.test("write state: a commit rolled back after its heads and filter were updated leaves nothing remembered", async () => {
  const ledger = await tempLedger();
  try {
    for (let i = 0; i < 5; i++) await ledger.append(subjectDraft(i));
    // Fails the transaction at its last statement, after the chain head and the subject filter.
    ledger.db.exec(
      "CREATE TEMP TRIGGER refuse_checkpoint BEFORE INSERT ON checkpoints BEGIN SELECT RAISE(ABORT, 'disk said no'); END",
    );
    const failed = await ledger.append(subjectDraft(5)).then(() => undefined, (error: unknown) => error);
    assert.ok(failed instanceof Error && /disk said no/.test(failed.message), String(failed));
    ledger.db.exec("DROP TRIGGER refuse_checkpoint");
    const next = await ledger.append(subjectDraft(6));
    assert.deepEqual([next.index, next.seq], [5, 6], "the chain goes on from its last committed record");
    assert.deepEqual(leavesOf(ledger, 5), [], "the rolled-back subject is in no filter");
    assert.deepEqual(leavesOf(ledger, 6), [5]);
    await assertVerifies(ledger);
  } finally {
    await removeLedger(ledger);
  }
});

Deno.test("write state: a handle whose tail another handle moved stores its next records after it", async () => {
  const first = await tempLedger();
  const second = await Ledger.open(first.paths.dir, { writerId: "test@host" });
  try {
    for (let i = 0; i < 10; i++) await first.append(subjectDraft(i));
    await second.appendBatch(Array.from({ length: 200 }, (_, i) => subjectDraft(10 + i))); // moves the tail
    for (let i = 210; i < 215; i++) assert.equal((await first.append(subjectDraft(i))).index, i);
    second.close();
    first.close();
    const reopened = await Ledger.open(first.paths.dir);
    try {
      assert.equal(reopened.size, 215);
      await assertVerifies(reopened);
    } finally {
      reopened.close();
    }
  } finally {
    second.close();
    await removeLedger(first);
  }
});
