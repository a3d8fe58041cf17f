import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { parseVerifierKey } from "../core/keys.ts";
import { verifyReceipt } from "../core/receipt.ts";
import type { RecordDraft } from "../core/record.ts";
import { type CommitReport, Ledger } from "../ledger/ledger.ts";
import { LedgerError } from "../ledger/errors.ts";
import { verifyLedger } from "../ledger/verify.ts";
import { subjectTag } from "../ledger/subject_bloom.ts";
import { MAX_PAGE } from "../ledger/query.ts";
import { guardSql, SCHEMA_VERSION } from "../ledger/schema.ts";
import { agentDraft, assertVerifies, downgradeToSchema3, removeLedger, tempLedger } from "./_ledger.ts";
import { codeOf, failureOf } from "./_codes.ts";
import { readLedgerStatus } from "../ledger/status.ts";
import { exists } from "../ledger/files.ts";

Deno.test("ledger: append, batch, checkpoint, receipts that verify offline, reopen", async () => {
  const ledger = await tempLedger();
  try {
    assert.equal(ledger.size, 0);
    assert.equal(ledger.latestCheckpoint().checkpoint.size, 0);
    const one = await ledger.append(agentDraft(0));
    assert.deepEqual([one.index, one.seq, one.checkpointSize, one.replayed], [0, 1, 1, false]);
    const batch = await ledger.appendBatch(Array.from({ length: 20 }, (_, i) => agentDraft(i + 1)));
    assert.deepEqual(batch.map((r) => r.index), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.ok(batch.every((r) => r.checkpointSize === 21));
    assert.equal(batch.at(-1)?.seq, 11, "per-chain seq");
    const verifier = await parseVerifierKey(ledger.verifierKey!);
    for (const index of [0, 7, 20]) {
      const verified = await verifyReceipt(ledger.receipt(index), [verifier], ledger.hasher);
      assert.equal(verified.index, index);
      assert.equal(verified.checkpoint.checkpoint.size, 21);
    }
    const early = await verifyReceipt(ledger.receipt(0, 1), [verifier], ledger.hasher);
    assert.equal(early.checkpoint.checkpoint.size, 1);
    const indexes = batch.map((r) => r.index).concat([0, 20, 3]);
    assert.deepEqual(ledger.receipts(indexes, 21), indexes.map((index) => ledger.receipt(index, 21)));
    assert.throws(
      () => ledger.receipts([0], 5),
      (e: unknown) => e instanceof LedgerError && e.code === "NOT_FOUND",
    );
    assert.throws(() => ledger.record(21), {
      code: "NOT_FOUND",
      message: "no record there: the log holds 21 (leaf 21)",
    });
    assert.throws(() => ledger.inclusionProof(5, 3), {
      code: "INDEX_OUT_OF_RANGE",
      message: "not in a tree of 3 (leaf 5)",
    });
    const dir = ledger.paths.dir;
    ledger.close();
    const reopened = await Ledger.open(dir);
    assert.equal(reopened.size, 21);
    assert.deepEqual(
      reopened.receipts(indexes, 21),
      indexes.map((index) => reopened.receipt(index, 21)),
      "records read back in one range equal those read one by one",
    );
    const next = await reopened.append(agentDraft(21));
    assert.equal(next.index, 21);
    const full = await verifyLedger(reopened);
    assert.deepEqual([full.ok, full.recordsChecked, full.chains], [true, 22, 3]);
    const after = await verifyLedger(reopened, { fromCheckpoint: 21 });
    assert.deepEqual(
      [after.ok, after.recordsChecked, after.chains],
      [true, 1, 1],
      "the chain of leaf 21 (another writer) only",
    );
    const range = await verifyLedger(reopened, { range: { from: 3, to: 5 } });
    assert.deepEqual([range.ok, range.recordsChecked, range.chains], [true, 2, 2]);
    await removeLedger(reopened);
  } catch (error) {
    ledger.close();
    throw error;
  }
});

Deno.test("ledger: a ledger opened before another one appended serves proofs at the new sizes", async () => {
  const writer = await tempLedger();
  const reader = await Ledger.open(writer.paths.dir);
  try {
    await writer.appendBatch(Array.from({ length: 10 }, (_, i) => agentDraft(i)));
    assert.equal(reader.size, 0, "the reader has not looked yet");
    const root = writer.rootAt(10);
    assert.deepEqual(reader.rootAt(10), root);
    assert.deepEqual(reader.inclusionProof(6, 10), writer.inclusionProof(6, 10));
    assert.deepEqual(reader.consistencyProof(4, 10), writer.consistencyProof(4, 10));
    await writer.appendBatch([agentDraft(10)]);
    assert.deepEqual(reader.inclusionProof(3, 11), writer.inclusionProof(3, 11));
    const verifier = await parseVerifierKey(reader.verifierKey!);
    const receipt = await verifyReceipt(reader.receipt(10), [verifier], reader.hasher);
    assert.equal(receipt.checkpoint.checkpoint.size, 11);
  } finally {
    reader.close();
    await removeLedger(writer);
  }
});

Deno.test("ledger: the database runs in WAL, synchronous FULL unless asked NORMAL, 4,000-page autocheckpoint", async () => {
  for (const [durability, synchronous] of [[undefined, 2], ["normal", 1]] as const) {
    const ledger = await tempLedger(durability === undefined ? {} : { durability });
    try {
      const pragma = (name: string) => Object.values(ledger.db.prepare(`PRAGMA ${name}`).get()!)[0];
      assert.deepEqual(
        [pragma("journal_mode"), pragma("synchronous"), pragma("wal_autocheckpoint")],
        ["wal", synchronous, 4000],
      );
    } finally {
      await removeLedger(ledger);
    }
  }
});

Deno.test("ledger: receipts of the newest commit, kept in memory, equal receipts read back from the file", async () => {
  const ledger = await tempLedger();
  const reader = await Ledger.open(ledger.paths.dir);
  try {
    const verifier = await parseVerifierKey(ledger.verifierKey!);
    const check = async (index: number, size: number) => {
      const kept = ledger.receipt(index, size);
      assert.equal(kept, reader.receipt(index, size), `leaf ${index} at ${size}`);
      await verifyReceipt(kept, [verifier], ledger.hasher);
    };
    for (let i = 0; i < 40; i++) {
      const result = await ledger.append(agentDraft(i));
      await check(result.index, result.checkpointSize);
    }
    const group = await Promise.all(Array.from({ length: 12 }, (_, i) => ledger.append(agentDraft(40 + i))));
    for (const result of group) await check(result.index, result.checkpointSize);
    const batch = await ledger.appendBatch(Array.from({ length: 50 }, (_, i) => agentDraft(52 + i)));
    await check(batch[49].index, batch[49].checkpointSize);
    await check(3, batch[49].checkpointSize);
    await check(group[0].index, group[0].checkpointSize);
  } finally {
    reader.close();
    await removeLedger(ledger);
  }
});

Deno.test("ledger: a new ledger with no records verifies", async () => {
  const ledger = await tempLedger();
  const report = await assertVerifies(ledger);
  assert.equal(report.recordsChecked, 0);
  await removeLedger(ledger);
});

Deno.test("ledger: idempotent replay, CONFLICT, SEQ_GAP", async () => {
  const ledger = await tempLedger();
  const draft = {
    kind: "ToolCalled",
    writer_id: "agent-7",
    stream: "tools",
    seq: 1,
    ts_ms: 5,
    attrs: { q: 1 },
  };
  const first = await ledger.append(draft);
  const again = await ledger.append(draft);
  assert.deepEqual({ ...again, replayed: false }, first);
  assert.equal(again.replayed, true);
  assert.equal(ledger.size, 1);
  assert.equal(await codeOf(() => ledger.append({ ...draft, attrs: { q: 2 } })), "CONFLICT");
  assert.equal(await codeOf(() => ledger.append({ ...draft, seq: 3 })), "SEQ_GAP");
  for (const seq of [0, -3, 0.5, "1", 2 ** 53]) {
    const bad = { ...draft, seq } as unknown as RecordDraft;
    assert.equal(await codeOf(() => ledger.append(bad)), "BAD_FIELD", `seq ${seq}: no replay, no conflict`);
    const inWorker = [...Array.from({ length: 199 }, (_, i) => agentDraft(i)), bad];
    const error = await ledger.appendBatch(inWorker).catch((e) => e);
    assert.deepEqual(
      [error.code, error.where.item],
      ["BAD_FIELD", 199],
      `seq ${seq} in a sealed-in-worker batch`,
    );
  }
  const withoutTs = { kind: "ToolCalled", writer_id: "agent-7", stream: "tools", seq: 1, attrs: { q: 1 } };
  assert.equal((await ledger.append(withoutTs)).replayed, true, "an absent ts_ms takes the stored one");
  assert.equal(ledger.size, 1);
  assert.equal((await verifyLedger(ledger)).ok, true);
  await removeLedger(ledger);
});

Deno.test("ledger: a bad draft aborts the whole batch and names its item", async () => {
  const ledger = await tempLedger();
  await ledger.append(agentDraft(0));
  const drafts = [agentDraft(1), agentDraft(2), { kind: "Bad", attrs: { x: 1.5 } }, agentDraft(3)];
  const error = await ledger.appendBatch(drafts).catch((e) => e);
  assert.equal(error.code, "FLOAT_DISALLOWED");
  assert.equal(error.where.item, 2);
  assert.match(error.message, /batch item 2/);
  assert.equal(ledger.size, 1, "nothing of the batch was written");
  const after = await ledger.appendBatch([agentDraft(1), agentDraft(2)]);
  assert.deepEqual(after.map((r) => r.index), [1, 2]);
  assert.equal((await verifyLedger(ledger)).ok, true);
  await removeLedger(ledger);
});

Deno.test("ledger: create refuses an existing ledger; open refuses a missing one", async () => {
  const ledger = await tempLedger();
  assert.equal(await codeOf(() => Ledger.create(ledger.paths.dir)), "LEDGER_EXISTS");
  assert.equal(await codeOf(() => Ledger.open(`${ledger.paths.dir}-missing`)), "NOT_A_LEDGER");
  assert.equal((Deno.statSync(ledger.paths.signerKey).mode ?? 0) & 0o777, 0o600);
  await removeLedger(ledger);
});

Deno.test("ledger: open and status refuse another program's SQLite file and leave it as it was", async () => {
  const dir = await Deno.makeTempDir({ prefix: "smem-foreign-" });
  const path = `${dir}/ledger.db`;
  for (
    const [name, setUp] of [
      ["a table and no version", "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');"],
      ["a version and no meta table", "CREATE TABLE notes (text TEXT); PRAGMA user_version = 3;"],
    ]
  ) {
    const foreign = new DatabaseSync(path);
    foreign.exec(setUp);
    foreign.close();
    const before = await Deno.readFile(path);
    for (
      const error of [
        await failureOf(() => Ledger.open(dir)),
        await failureOf(() => readLedgerStatus(dir)),
      ]
    ) {
      assert.deepEqual([error.code, error.message], [
        "NOT_A_LEDGER",
        `${path} is an SQLite database but not a SecuraMem ledger`,
      ], name);
    }
    assert.deepEqual(await Deno.readFile(path), before, `${name}: the file is unchanged`);
    assert.equal(exists(`${path}-wal`), false, `${name}: not switched to WAL`);
    await Deno.remove(path);
  }
  await Deno.writeTextFile(path, "not a database at all, but long enough to have a header.....\n".repeat(20));
  const garbage = await failureOf(() => readLedgerStatus(dir));
  assert.deepEqual([garbage.code, garbage.message], ["DATABASE_CORRUPT", `${path}: file is not a database`]);
  const missing = await failureOf(() => readLedgerStatus(`${dir}/nowhere`));
  assert.deepEqual([missing.code, missing.message], [
    "NOT_A_LEDGER",
    `no ledger in ${dir}/nowhere (run init first)`,
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ledger: status names the hash algorithm and the newest checkpoint", async () => {
  const ledger = await tempLedger({ alg: "sha256" });
  await ledger.appendBatch([agentDraft(0), agentDraft(1)]);
  const status = await readLedgerStatus(ledger.paths.dir);
  assert.deepEqual([status.alg, status.size, status.checkpoint.size], ["sha256", 2, 2]);
  assert.equal(status.origin, ledger.meta.origin);
  assert.deepEqual([status.verifierKey, status.keyEncrypted], [ledger.verifierKey, false]);
  await removeLedger(ledger);
});

Deno.test("ledger: triggers refuse UPDATE and DELETE of records, recent, nodes and checkpoints", async () => {
  const ledger = await tempLedger();
  await ledger.appendBatch([agentDraft(0), agentDraft(1)]);
  const db = new DatabaseSync(ledger.paths.db);
  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  assert.equal(count("recent"), 2, "a small commit stores its records in the unindexed tail");
  assert.throws(() => db.exec("UPDATE recent SET kind = 'X'"), /append-only/);
  assert.throws(() => db.exec("DELETE FROM recent"), /leave only into records/);
  ledger.close();
  assert.deepEqual([count("recent"), count("records")], [0, 2], "closing moves the tail into records");
  for (
    const sql of [
      "UPDATE records SET kind = 'X'",
      "DELETE FROM records",
      "DELETE FROM nodes",
      "UPDATE checkpoints SET note = ''",
    ]
  ) {
    assert.throws(() => db.exec(sql), /append-only/, sql);
  }
  db.close();
  await removeLedger(ledger);
});

Deno.test("ledger: blobs are content-addressed; erasure leaves a tombstone and the log verifies", async () => {
  const ledger = await tempLedger();
  const prompt = new TextEncoder().encode("What is the capital of France?");
  const id = ledger.putBlob(prompt);
  assert.equal(id, ledger.putBlob(prompt), "same bytes, same id");
  await ledger.append({ kind: "PromptReceived", subject: { content_id: id } });
  assert.deepEqual(ledger.getBlob(id), prompt);
  const tombstone = await ledger.eraseBlob(id, "gdpr_erasure_request", { user_id: "dpo" });
  assert.equal(tombstone.stream, "securamem.retention");
  assert.equal(await codeOf(() => ledger.getBlob(id)), "BLOB_ERASED");
  assert.equal(await codeOf(() => ledger.eraseBlob(id, "again")), "BLOB_ERASED");
  assert.equal(await codeOf(() => ledger.putBlob(prompt)), "BLOB_ERASED");
  assert.equal(await codeOf(() => ledger.eraseBlob(`b3:${"0".repeat(64)}`, "never stored")), "BLOB_UNKNOWN");
  assert.equal(ledger.blobInfo(id)?.erased?.leaf, tombstone.index);
  const report = await assertVerifies(ledger);
  assert.deepEqual(report.blobs, { present: 0, erased: 1 });
  await removeLedger(ledger);
});

Deno.test("ledger: query by stream, writer, kind, actor, subject, time and leaf range, paginated", async () => {
  const ledger = await tempLedger();
  await ledger.appendBatch(Array.from({ length: 30 }, (_, i) => agentDraft(i)));
  assert.equal(ledger.query({ stream: "agent", limit: 1000 }).records.length, 15);
  assert.equal(ledger.query({ kind: "ToolCalled", limit: 1000 }).records.length, 10);
  assert.equal(ledger.query({ actor: "u-1", limit: 1000 }).records.length, 8);
  assert.equal(ledger.query({ subject: "m-1", limit: 1000 }).records.length, 30);
  assert.equal(ledger.query({ writerId: "test@host", fromIndex: 10, toIndex: 20 }).records.length, 10);
  const all = ledger.query({ limit: 1000 }).records;
  const ts = JSON.parse(all[5].text).ts_ms;
  assert.equal(ledger.query({ fromTs: ts, toTs: ts + 1 }).records.length, 30, "one batch shares its clock");
  const pages: number[][] = [];
  let after: number | undefined;
  do {
    const page = ledger.query({ stream: "tools", limit: 4, after });
    pages.push(page.records.map((r) => r.index));
    after = page.next;
  } while (after !== undefined);
  assert.deepEqual(pages.flat(), Array.from({ length: 15 }, (_, i) => 2 * i + 1));
  assert.equal(pages.length, 4);
  assert.equal(await codeOf(() => ledger.query({ limit: 0 })), "BAD_QUERY");
  assert.equal(await codeOf(() => ledger.query({ limit: MAX_PAGE + 1 })), "BAD_QUERY");
  assert.equal(await codeOf(() => ledger.query({ limit: 1.5 })), "BAD_QUERY");
  assert.equal(ledger.query({ limit: MAX_PAGE }).records.length, 30);
  const exact = ledger.query({ stream: "agent", limit: 15 });
  assert.deepEqual(
    [exact.records.length, exact.next],
    [15, undefined],
    "a page that ends the results has no next",
  );
  assert.equal(ledger.query({ toTs: ts }).records.length, 0, "toTs is exclusive");
  await ledger.appendBatch([
    agentDraft(30, { writer_id: "other@host" }),
    agentDraft(31, { writer_id: "other@host" }),
  ]);
  assert.deepEqual(ledger.query({ writerId: "other@host" }).records.map((r) => r.index), [30, 31]);
  assert.equal(ledger.query({ writerId: "test@host" }).records.length, 30);
  await removeLedger(ledger);
});

Deno.test("ledger: concurrent batches share a commit, each all or none; onCommit reports what reached the disk", async () => {
  const commits: CommitReport[] = [];
  const ledger = await tempLedger({ onCommit: (commit) => commits.push(commit) });
  commits.length = 0;
  const batch = (from: number) => Array.from({ length: 10 }, (_, i) => agentDraft(from + i));
  const poisoned = [...batch(100), { kind: "Bad", attrs: { x: 0.5 } }, ...batch(200)];
  const settled = await Promise.allSettled([
    ledger.appendBatch(batch(0)),
    ledger.appendBatch(poisoned),
    ledger.appendBatch(batch(300)),
    ledger.append(agentDraft(400)),
  ]);
  assert.deepEqual(settled.map((s) => s.status), ["fulfilled", "rejected", "fulfilled", "fulfilled"]);
  const refused = (settled[1] as PromiseRejectedResult).reason;
  assert.equal(refused.code, "FLOAT_DISALLOWED");
  assert.equal(refused.where.item, 10, "the error names the item within its own batch");
  assert.equal(ledger.size, 21, "no draft of the refused batch was stored");
  const fulfilled = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value].flat() : []));
  assert.deepEqual(
    fulfilled.map((r) => r.index).sort((a, b) => a - b),
    Array.from({ length: 21 }, (_, i) => i),
  );
  assert.ok(fulfilled.every((r) => r.checkpointSize === 21), "the three accepted calls shared one commit");
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(commits.length, 1);
  assert.equal(commits[0].checkpointSize, 21);
  assert.equal(commits[0].records.length, 21);
  const stored = ledger.record(0);
  assert.equal(commits[0].records.find((r) => r.kind === "PromptReceived")?.stream, "agent");
  assert.ok(commits[0].records.some((r) => r.bytes === new TextEncoder().encode(stored.text).length));
  await removeLedger(ledger);
});

Deno.test("ledger: concurrent single appends are group-committed; a bad draft fails only itself", async () => {
  const ledger = await tempLedger();
  const drafts = Array.from({ length: 200 }, (_, i) => agentDraft(i));
  const bad = { kind: "Bad", attrs: { x: 0.5 } };
  const settled = await Promise.allSettled([
    ...drafts.slice(0, 100).map((d) => ledger.append(d)),
    ledger.append(bad),
    ...drafts.slice(100).map((d) => ledger.append(d)),
  ]);
  const rejected = settled.filter((s) => s.status === "rejected");
  assert.equal(rejected.length, 1);
  assert.equal((rejected[0] as PromiseRejectedResult).reason.code, "FLOAT_DISALLOWED");
  assert.equal(ledger.size, 200);
  const indexes = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value.index] : []));
  assert.deepEqual([...indexes].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i));
  const grouped = await Promise.all(Array.from({ length: 50 }, (_, i) => ledger.append(agentDraft(300 + i))));
  assert.ok(grouped.every((r) => r.checkpointSize === 250), "one group, one checkpoint covering all");
  const groups =
    (ledger.db.prepare("SELECT count(*) AS n FROM checkpoints WHERE size BETWEEN 201 AND 250").get() as {
      n: number;
    }).n;
  assert.equal(groups, 1, "the 50 concurrent appends share one commit and one checkpoint");
  await assertVerifies(ledger);
  await removeLedger(ledger);
});

Deno.test("ledger: subject queries through the per-block filters match a scan, across blocks and pages", async () => {
  const ledger = await tempLedger();
  const keyOf = (i: number) => `b3:${((i * 7919) % 37).toString(16).padStart(64, "0")}`;
  const drafts = Array.from({ length: 2600 }, (_, i) => agentDraft(i, { subject: { content_id: keyOf(i) } }));
  for (let i = 0; i < drafts.length; i += 500) await ledger.appendBatch(drafts.slice(i, i + 500));
  const expected = (key: string, keep: (i: number) => boolean = () => true) =>
    drafts.flatMap((_, i) => (keyOf(i) === key && keep(i) ? [i] : []));
  for (const key of [keyOf(0), keyOf(5), keyOf(36)]) {
    const pages: number[] = [];
    let after: number | undefined;
    do {
      const page = ledger.query({ subject: key, limit: 13, after });
      pages.push(...page.records.map((r) => r.index));
      after = page.next;
    } while (after !== undefined);
    assert.deepEqual(pages, expected(key));
    const ranged = ledger.query({
      subject: key,
      fromIndex: 1000,
      toIndex: 2100,
      stream: "tools",
      limit: 1000,
    });
    assert.deepEqual(
      ranged.records.map((r) => r.index),
      expected(key, (i) => i >= 1000 && i < 2100 && i % 2 === 1),
    );
  }
  assert.deepEqual(ledger.query({ subject: "b3:absent" }).records, []);
  await assertVerifies(ledger);
  await removeLedger(ledger);
});

/**
 * Rewrites a current ledger's records table into an older schema's shape: `subject_key` text in
 * place of `subject_tag`; for version 1 also the B-tree subject index instead of the filters.
 */
function downgradeSchema(dir: string, version: 1 | 2, subjectOf: (leaf: number) => string): void {
  downgradeToSchema3(dir);
  const db = new DatabaseSync(`${dir}/ledger.db`);
  db.exec(`DROP TRIGGER records_no_update; DROP TRIGGER records_no_delete;
ALTER TABLE records ADD COLUMN subject_key TEXT;`);
  const size = (db.prepare("SELECT count(*) AS n FROM records").get() as { n: number }).n;
  const update = db.prepare("UPDATE records SET subject_key = ? WHERE leaf = ?");
  for (let leaf = 0; leaf < size; leaf++) update.run(subjectOf(leaf), leaf);
  db.exec("ALTER TABLE records DROP COLUMN subject_tag");
  db.exec(guardSql("records"));
  if (version === 1) {
    db.exec(`DROP TABLE subject_blooms;
CREATE INDEX records_subject ON records (subject_key) WHERE subject_key IS NOT NULL;`);
  }
  db.exec(`PRAGMA user_version = ${version}`);
  db.close();
}

for (const version of [1, 2] as const) {
  Deno.test(`ledger: opening a schema-${version} ledger migrates its subject keys to tags and filters`, async () => {
    const ledger = await tempLedger();
    const subjectOf = (i: number) => `doc-${i % 9}`;
    await ledger.appendBatch(
      Array.from({ length: 1500 }, (_, i) => agentDraft(i, { subject: { name: subjectOf(i) } })),
    );
    const dir = ledger.paths.dir;
    ledger.close();
    downgradeSchema(dir, version, subjectOf);
    const reopened = await Ledger.open(dir);
    try {
      const db = reopened.db;
      assert.equal(
        (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
        SCHEMA_VERSION,
      );
      const columns = db.prepare("SELECT name FROM pragma_table_info('records')").all().map((r) => r.name);
      assert.equal(columns.at(-1), "subject_tag");
      assert.ok(!columns.includes("subject_key"));
      const tags = db.prepare(
        "SELECT leaf, subject_tag FROM records WHERE leaf IN (0, 4, 1499) ORDER BY leaf",
      )
        .all().map((r) => r.subject_tag);
      assert.deepEqual(tags, [0, 4, 1499].map((i) => subjectTag(subjectOf(i))));
      assert.equal(reopened.query({ subject: "doc-4", limit: 1000 }).records.length, 167);
      assert.throws(
        () => db.exec("UPDATE records SET kind = 'X' WHERE leaf = 0"),
        /append-only/,
        "the guard triggers are back",
      );
      await assertVerifies(reopened);
    } finally {
      await removeLedger(reopened);
    }
  });
}

Deno.test("ledger: a subject query confirms the key from the bytes, not from the tag alone", async () => {
  const ledger = await tempLedger();
  await ledger.appendBatch(
    Array.from({ length: 40 }, (_, i) => agentDraft(i, { subject: { name: i === 7 ? "wanted" : "other" } })),
  );
  const dir = ledger.paths.dir;
  ledger.close();
  const db = new DatabaseSync(`${dir}/ledger.db`);
  db.exec(`DROP TRIGGER records_no_update; DROP TRIGGER records_no_delete;
UPDATE records SET subject_tag = ${subjectTag("wanted")} WHERE leaf = 9;
${guardSql("records")}`);
  db.close();
  const reopened = await Ledger.open(dir);
  try {
    assert.deepEqual(reopened.query({ subject: "wanted" }).records.map((r) => r.index), [7]);
    const report = await verifyLedger(reopened);
    assert.equal(report.failure?.code, "INDEX_MISMATCH");
    assert.equal(report.failure?.where?.leafIndex, 9);
  } finally {
    await removeLedger(reopened);
  }
});
