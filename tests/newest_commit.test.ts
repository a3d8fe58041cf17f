/**
 * The newest commit's records and checkpoint, kept in memory for its receipts: only what committed,
 * only within the byte budget, and replaced by the next commit that stores records.
 */
import assert from "node:assert/strict";
import { KEPT_BYTES, NewestCommit } from "../ledger/newest_commit.ts";

const text = (index: number) => `{"i":${index}}`;

function addRecords(newest: NewestCommit, from: number, count: number, bytes = 16): void {
  for (let index = from; index < from + count; index++) {
    const body = new Uint8Array(bytes).fill(0x20);
    body.set(new TextEncoder().encode(text(index)));
    newest.addRecord(index, body, `b3:${index}`);
  }
}

Deno.test("newest commit: keeps a committed batch's records, not an open or over-budget one's", () => {
  const newest = new NewestCommit();
  newest.begin();
  addRecords(newest, 0, 1000);
  assert.equal(newest.record(0), undefined, "nothing is kept before the commit");
  newest.commit();
  assert.equal(newest.record(999)?.selfHash, "b3:999", "a batch of 1,000 is kept whole");
  assert.ok(newest.record(0)?.text.startsWith(text(0)));
  assert.equal(newest.record(1000), undefined);

  newest.begin();
  addRecords(newest, 1000, 4, KEPT_BYTES / 4);
  newest.commit();
  assert.equal(newest.record(1003)?.selfHash, "b3:1003", "exactly the budget is kept");
  assert.equal(newest.record(999), undefined, "the previous commit's records are gone");

  newest.begin();
  addRecords(newest, 1004, 5, KEPT_BYTES / 4);
  newest.commit();
  assert.equal(newest.record(1004), undefined, "a commit over the budget keeps none of its records");
  assert.equal(newest.record(1003), undefined, "nor the records of the commit before it");

  newest.begin();
  addRecords(newest, 1009, 1);
  newest.begin();
  newest.commit();
  assert.equal(newest.record(1009), undefined, "a transaction begun again drops what it had");
});
