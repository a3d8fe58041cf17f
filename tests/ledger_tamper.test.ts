/**
 * Tampering with a ledger the way an attacker with file access would, through the sqlite3 CLI
 * (Debian's sqlite3: a tool nobody here wrote), and expecting verify's precise error.
 */
import assert from "node:assert/strict";
import { signCheckpoint } from "../core/checkpoint.ts";
import { generateKeyPair, parseSignerKey } from "../core/keys.ts";
import { MerkleHasher } from "../core/merkle_hasher.ts";
import { MemoryNodeStore, MerkleTree } from "../core/merkle_tree.ts";
import type { SecuraMemError } from "../core/errors.ts";
import { LedgerError } from "../ledger/errors.ts";
import { Ledger } from "../ledger/ledger.ts";
import { nodeId } from "../ledger/node_store.ts";
import { verifyLedger, type VerifyReport } from "../ledger/verify.ts";
import { agentDraft, assertVerifies, downgradeToSchema3, tempLedger } from "./_ledger.ts";
import { expectFailure, hex, sqlite, unguarded } from "./_tamper.ts";

const REPLACED = "a \uFFFD stood for an unreadable byte";
const template = await tempLedger();
const promptId = template.putBlob(new TextEncoder().encode("prompt text"));
// Leaf 1 holds a genuine U+FFFD, which verify's text read cannot tell from an invalid byte sequence.
await template.appendBatch(
  Array.from({ length: 6 }, (_, i) => agentDraft(i, i === 1 ? { reason: REPLACED } : {})),
);
await template.append({ kind: "PromptReceived", subject: { content_id: promptId } });
await template.appendBatch(Array.from({ length: 5 }, (_, i) => agentDraft(i + 6)));
const templateDir = template.paths.dir;
const originalVerifier = template.verifierKey!;
const hasher = template.hasher;
const origin = template.meta.origin;
const bodies = Array.from({ length: template.size }, (_, leaf) => template.record(leaf).text);
const bodyOf = (leaf: number) => bodies[leaf];
template.close();

/** A new directory holding a copy of the template ledger and its signer key. */
async function copyOfTemplate(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  for (const name of ["ledger.db", "signer.key"]) {
    await Deno.copyFile(`${templateDir}/${name}`, `${dir}/${name}`);
  }
  return dir;
}

async function tampered(change: (dir: string, db: string) => Promise<void> | void): Promise<VerifyReport> {
  const dir = await copyOfTemplate("smem-tamper-");
  await change(dir, `${dir}/ledger.db`);
  try {
    const ledger = await Ledger.open(dir);
    try {
      return await verifyLedger(ledger);
    } finally {
      ledger.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("tamper: the untouched copy verifies", async () => {
  const report = await tampered(() => {});
  assert.equal(report.ok, true, report.failure?.message);
  assert.equal(report.size, 12);
  assert.equal(report.checkpointsChecked, 4);
});

Deno.test("tamper: one changed byte of a record is HASH_MISMATCH at its leaf", async () => {
  const body = bodyOf(5).replace(`"i":5`, `"i":7`);
  expectFailure(
    await tampered((_, db) =>
      sqlite(
        db,
        unguarded(`UPDATE records SET body = ${hex(new TextEncoder().encode(body))} WHERE leaf = 5;`),
      )
    ),
    "HASH_MISMATCH",
    5,
  );
});

Deno.test("tamper: bytes that read back as the same text are still caught (an invalid sequence, a NUL, text cells)", async () => {
  const original = new TextEncoder().encode(bodyOf(1));
  const at = original.findIndex((byte, i) =>
    byte === 0xef && original[i + 1] === 0xbf && original[i + 2] === 0xbd
  );
  assert.ok(at > 0, "leaf 1 holds U+FFFD as EF BF BD");
  // F0 9F 98 is a cut-off four-byte sequence: SQLite's text of it is U+FFFD too, in as many bytes.
  const invalid = original.slice();
  invalid.set([0xf0, 0x9f, 0x98], at);
  expectFailure(
    await tampered((_, db) =>
      sqlite(db, unguarded(`UPDATE records SET body = ${hex(invalid)} WHERE leaf = 1;`))
    ),
    "BAD_UTF8",
    1,
  );
  // A text ends at a NUL: bytes hidden behind one must not pass as the record before it.
  const trailing = new Uint8Array([
    ...new TextEncoder().encode(bodyOf(4)),
    0,
    ...new TextEncoder().encode("{}"),
  ]);
  expectFailure(
    await tampered((_, db) =>
      sqlite(db, unguarded(`UPDATE records SET body = ${hex(trailing)} WHERE leaf = 4;`))
    ),
    "BAD_JSON",
    4,
  );
  const text = await tampered((_, db) =>
    sqlite(db, unguarded(`UPDATE records SET body = CAST(body AS TEXT) WHERE leaf = 4;`))
  );
  expectFailure(text, "NOT_CANONICAL", 4);
  assert.match(text.failure!.message, /not a BLOB/);
  const hashText = await tampered((_, db) =>
    sqlite(db, unguarded(`UPDATE records SET self_hash = hex(self_hash) WHERE leaf = 4;`))
  );
  expectFailure(hashText, "HASH_MISMATCH", 4);
  assert.match(hashText.failure!.message, /self_hash is not a BLOB/);
});

Deno.test("tamper: a record rewritten with a matching self_hash breaks the Merkle nodes at its leaf", async () => {
  const body = new TextEncoder().encode(bodyOf(5).replace(`"i":5`, `"i":7`));
  const sql = `UPDATE records SET body = ${hex(body)}, self_hash = ${
    hex(hasher.digest(body))
  } WHERE leaf = 5;`;
  const report = await tampered((_, db) => sqlite(db, unguarded(sql)));
  expectFailure(report, "NODE_MISMATCH", 5);
  assert.match(report.failure!.message, /level 0, index 5\) is wrong/, "its stored leaf hash first");
});

/**
 * Leaf 11, the last record of the "agent" chain, rewritten the way an attacker with the file but
 * not the signer key would: new bytes, their hash, the Merkle nodes leaf 11 completes (its leaf
 * hash, (1, 5) and (2, 2)) and the chain head, all consistent; the SQL and the forged tree's root.
 */
function consistentRewriteOfLastLeaf(): { sql: string; root: Uint8Array } {
  const encoder = new TextEncoder();
  const body = encoder.encode(bodyOf(11).replace(`"i":10`, `"i":99`));
  const digest = hasher.digest(body);
  const store = new MemoryNodeStore();
  const tree = new MerkleTree(new MerkleHasher(hasher), store);
  for (let leaf = 0; leaf < 11; leaf++) tree.appendEntry(hasher.digest(encoder.encode(bodyOf(leaf))));
  tree.appendEntry(digest);
  const nodes = ([[0, 11], [1, 5], [2, 2]] as const).map(([level, index]) =>
    `UPDATE nodes SET hash = ${hex(store.get(level, index)!)} WHERE id = ${nodeId(level, index)};`
  );
  const sql = `UPDATE records SET body = ${hex(body)}, self_hash = ${hex(digest)} WHERE leaf = 11;
    ${nodes.join("\n")}
    UPDATE heads SET self_hash = ${hex(digest)} WHERE stream = 'agent';`;
  return { sql, root: tree.root() };
}

Deno.test("tamper: a record rewritten with every hash, node and chain head to match fails only at the signed root", async () => {
  const { sql, root } = consistentRewriteOfLastLeaf();
  const report = await tampered((_, db) => sqlite(db, unguarded(sql)));
  expectFailure(report, "ROOT_MISMATCH", 12);
  assert.match(report.failure!.message, /records 0…11 give root [0-9a-f]{64}, the signed checkpoint says/);
  const withRootColumn = `${sql}\nUPDATE checkpoints SET root = ${hex(root)} WHERE size = 12;`;
  expectFailure(
    await tampered((_, db) => sqlite(db, unguarded(withRootColumn))),
    "CHECKPOINT_MISMATCH",
    12,
  );
});

Deno.test("tamper: an index column that disagrees with the bytes is INDEX_MISMATCH", async () => {
  const report = await tampered((_, db) =>
    sqlite(db, unguarded(`UPDATE records SET kind = 'Innocent' WHERE leaf = 4;`))
  );
  expectFailure(report, "INDEX_MISMATCH", 4);
  assert.match(report.failure!.message, /column kind/);
});

Deno.test("tamper: a subject filter cleared or added beyond the log is INDEX_MISMATCH", async () => {
  const cleared = await tampered((_, db) =>
    sqlite(db, "UPDATE subject_blooms SET bits = zeroblob(2048) WHERE block = 0;")
  );
  expectFailure(cleared, "INDEX_MISMATCH", 0);
  assert.match(cleared.failure!.message, /subject filter/);
  const beyond = await tampered((_, db) =>
    sqlite(db, "INSERT INTO subject_blooms VALUES (5, zeroblob(2048));")
  );
  expectFailure(beyond, "INDEX_MISMATCH", 5 * 1024);
});

Deno.test("tamper: swapped rows, a deleted row, a truncated log", async () => {
  const swap = `UPDATE records SET leaf = -1 WHERE leaf = 3; UPDATE records SET leaf = 3 WHERE leaf = 4;
    UPDATE records SET leaf = 4 WHERE leaf = -1;`;
  expectFailure(await tampered((_, db) => sqlite(db, unguarded(swap))), "NODE_MISMATCH", 3);
  const deleted = await tampered((_, db) => sqlite(db, unguarded(`DELETE FROM records WHERE leaf = 6;`)));
  expectFailure(deleted, "LEAF_GAP", 6);
  assert.equal(deleted.failure!.message, "missing from the log (the next stored leaf is 7) (leaf 6)");
  expectFailure(
    await tampered((_, db) => sqlite(db, unguarded(`DELETE FROM records WHERE leaf >= 9;`))),
    "CHECKPOINT_BEYOND_LOG",
    9,
  );
  // The row count still says 12: the last leaf is missing, not the log shorter.
  const moved = await tampered((_, db) =>
    sqlite(db, unguarded(`UPDATE records SET leaf = 12 WHERE leaf = 11;`))
  );
  expectFailure(moved, "LEAF_GAP", 11);
  assert.equal(moved.failure!.message, "missing from the log (leaf 11)");
});

/** Adds the chain's true next record (leaf 12) as SecuraMem would store it, without its Merkle node or checkpoint. */
async function addNextRecordRow(db: string): Promise<void> {
  const forger = await copyOfTemplate("smem-forger-");
  try {
    const ledger = await Ledger.open(forger);
    await ledger.append(agentDraft(12));
    ledger.close();
    sqlite(
      db,
      unguarded(`ATTACH '${forger}/ledger.db' AS forged;
        INSERT INTO recent SELECT * FROM forged.records WHERE leaf = 12 UNION ALL SELECT * FROM forged.recent WHERE leaf = 12;`),
    );
  } finally {
    await Deno.remove(forger, { recursive: true });
  }
}

Deno.test("tamper: a valid next record added without its Merkle node is NODE_MISMATCH at its leaf; appends then refuse", async () => {
  expectFailure(await tampered((_, db) => addNextRecordRow(db)), "NODE_MISMATCH", 12);
  const dir = await copyOfTemplate("smem-tamper-");
  try {
    await addNextRecordRow(`${dir}/ledger.db`);
    const ledger = await Ledger.open(dir);
    try {
      await assert.rejects(
        ledger.append(agentDraft(13)),
        (error: SecuraMemError) => error.code === "MISSING_NODE",
      );
    } finally {
      ledger.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tamper: retrying a seq whose row was deleted is CONFLICT, and nothing is written", async () => {
  const { writer_id, stream, seq, ts_ms } = JSON.parse(bodyOf(3));
  const dir = await copyOfTemplate("smem-tamper-");
  try {
    sqlite(`${dir}/ledger.db`, unguarded(`DELETE FROM records WHERE leaf = 3;`));
    const ledger = await Ledger.open(dir);
    try {
      const retry = { ...agentDraft(3), writer_id, stream, seq, ts_ms };
      const error = await ledger.append(retry).then(() => undefined, (e: SecuraMemError) => e);
      assert.equal(error?.code, "CONFLICT", error?.message);
      assert.match(error!.message, /seq \d+ is below the chain head but not stored/);
      assert.equal(ledger.size, 12, "the log did not grow");
    } finally {
      ledger.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tamper: dropped guard triggers are TRIGGERS_MISSING", async () => {
  expectFailure(await tampered((_, db) => sqlite(db, `DROP TRIGGER records_no_delete;`)), "TRIGGERS_MISSING");
});

Deno.test("tamper: a Merkle node or a chain head changed", async () => {
  expectFailure(
    await tampered((_, db) =>
      sqlite(db, unguarded(`UPDATE nodes SET hash = zeroblob(32) WHERE id = ${nodeId(1, 2)};`))
    ),
    "NODE_MISMATCH",
    5,
  );
  expectFailure(
    await tampered((_, db) => sqlite(db, `UPDATE heads SET seq = 99 WHERE stream = 'agent';`)),
    "HEAD_MISMATCH",
  );
  expectFailure(
    await tampered((_, db) =>
      sqlite(db, `UPDATE heads SET self_hash = zeroblob(32) WHERE stream = 'tools';`)
    ),
    "HEAD_MISMATCH",
  );
  const deleted = await tampered((_, db) => sqlite(db, `DELETE FROM heads WHERE stream = 'tools';`));
  expectFailure(deleted, "HEAD_MISMATCH");
  assert.match(deleted.failure!.message, /3 chains in the records, 2 heads stored/);
});

Deno.test("tamper: a stored leaf hash changed, deleted or added, or leaf_nodes_from moved, is NODE_MISMATCH", async () => {
  const changed = await tampered((_, db) =>
    sqlite(db, unguarded(`UPDATE nodes SET hash = zeroblob(32) WHERE id = ${nodeId(0, 3)};`))
  );
  expectFailure(changed, "NODE_MISMATCH", 3);
  assert.match(changed.failure!.message, /level 0, index 3\) is wrong/);
  const deleted = await tampered((_, db) =>
    sqlite(db, unguarded(`DELETE FROM nodes WHERE id = ${nodeId(0, 3)};`))
  );
  expectFailure(deleted, "NODE_MISMATCH", 3);
  assert.match(deleted.failure!.message, /level 0, index 3\) is missing/);
  const moved = await tampered((_, db) =>
    sqlite(db, `UPDATE meta SET value = '4' WHERE key = 'leaf_nodes_from';`)
  );
  expectFailure(moved, "NODE_MISMATCH", 0);
  assert.match(moved.failure!.message, /no record completes/);
  const beyond = await tampered((_, db) =>
    sqlite(db, `INSERT INTO nodes (id, hash) VALUES (${nodeId(0, 12)}, zeroblob(32));`)
  );
  expectFailure(beyond, "NODE_MISMATCH", 12);
  await assert.rejects(
    tampered((_, db) => sqlite(db, `DELETE FROM meta WHERE key = 'leaf_nodes_from';`)),
    (error: unknown) => error instanceof LedgerError && error.code === "NOT_A_LEDGER",
  );
});

Deno.test("tamper: forged, foreign, deleted checkpoints", async () => {
  const flipSignature =
    `UPDATE checkpoints SET note = replace(note, substr(note, -12, 4), 'AAAA') WHERE size = 12;`;
  expectFailure(await tampered((_, db) => sqlite(db, unguarded(flipSignature))), "BAD_SIGNATURE", 12);
  const attacker = await parseSignerKey((await generateKeyPair(origin)).signerKey);
  const forged = await signCheckpoint({ origin, size: 12, root: new Uint8Array(32), extensions: [] }, [
    attacker.signer,
  ]);
  const replace = `UPDATE checkpoints SET note = CAST(${
    hex(new TextEncoder().encode(forged))
  } AS TEXT) WHERE size = 12;`;
  expectFailure(await tampered((_, db) => sqlite(db, unguarded(replace))), "UNVERIFIED_NOTE", 12);
  expectFailure(
    await tampered((_, db) => sqlite(db, unguarded(`DELETE FROM checkpoints WHERE size = 12;`))),
    "CHECKPOINT_MISSING",
    7,
  );
  expectFailure(
    await tampered((_, db) => sqlite(db, unguarded(`DELETE FROM checkpoints;`))),
    "NO_CHECKPOINT",
  );
});

Deno.test("tamper: a swapped public key is KEY_MISMATCH; a re-signed ledger fails the trusted key", async () => {
  const other = await generateKeyPair(origin);
  const swapKey = `UPDATE keys SET verifier_key = '${other.verifierKey}';`;
  expectFailure(await tampered((_, db) => sqlite(db, swapKey)), "KEY_MISMATCH");
  const dir = await copyOfTemplate("smem-resign-");
  const attacker = await parseSignerKey(other.signerKey);
  const ledger = await Ledger.open(dir);
  const resign: string[] = [swapKey];
  for (const size of [0, 6, 7, 12]) {
    const note = await signCheckpoint({ origin, size, root: ledger.rootAt(size), extensions: [] }, [
      attacker.signer,
    ]);
    resign.push(
      `UPDATE checkpoints SET note = CAST(${
        hex(new TextEncoder().encode(note))
      } AS TEXT) WHERE size = ${size};`,
    );
  }
  ledger.close();
  sqlite(`${dir}/ledger.db`, unguarded(resign.join("\n")));
  await Deno.writeTextFile(`${dir}/signer.key`, other.signerKey);
  const resigned = await Ledger.open(dir);
  assert.equal((await verifyLedger(resigned)).ok, true, "self-consistent after a full re-sign");
  expectFailure(await verifyLedger(resigned, { trustedKeys: [originalVerifier] }), "UNVERIFIED_NOTE", 0);
  resigned.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("tamper: blob bytes removed without a tombstone are BLOB_MISSING", async () => {
  expectFailure(
    await tampered((_, db) => sqlite(db, `UPDATE blobs SET bytes = NULL WHERE content_id = '${promptId}';`)),
    "BLOB_MISSING",
  );
  const changed = `UPDATE blobs SET bytes = X'00' WHERE content_id = '${promptId}';`;
  expectFailure(await tampered((_, db) => sqlite(db, changed)), "BLOB_MISMATCH");
  // Leaf 6 is a record about the blob, not its erasure: no tombstone.
  const notTombstone = `UPDATE blobs SET bytes = NULL, erase_leaf = 6 WHERE content_id = '${promptId}';`;
  expectFailure(await tampered((_, db) => sqlite(db, notTombstone)), "BLOB_MISSING", 6);
});

Deno.test("tamper: a dropped table makes open refuse the ledger with DATABASE_CORRUPT, naming it", async () => {
  for (const table of ["recent", "records", "nodes"]) {
    const dir = await copyOfTemplate("smem-drop-");
    sqlite(`${dir}/ledger.db`, `DROP TABLE ${table};`);
    const error = await Ledger.open(dir).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof LedgerError, String(error));
    assert.equal(error.code, "DATABASE_CORRUPT", error.message);
    assert.match(error.message, new RegExp(`no such table: ${table}`));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tamper: a truncated database file is DATABASE_CORRUPT", async () => {
  const report = await tampered(async (_, db) => {
    const size = (await Deno.stat(db)).size;
    await Deno.truncate(db, Math.floor(size / 2));
  }).catch((error) => ({ ok: false, failure: error }) as VerifyReport);
  assert.equal(report.ok, false);
  assert.equal(report.failure?.code, "DATABASE_CORRUPT", report.failure?.message);
});

Deno.test("tamper: verify from a trusted checkpoint checks only what follows it", async () => {
  const report = await tampered(async (dir) => {
    const ledger = await Ledger.open(dir);
    const r = await verifyLedger(ledger, { fromCheckpoint: 7 });
    assert.equal(r.ok, true, r.failure?.message);
    assert.equal(r.recordsChecked, 5);
    ledger.close();
    sqlite(`${dir}/ledger.db`, unguarded(`UPDATE records SET kind = 'X' WHERE leaf = 9;`));
  });
  expectFailure(report, "INDEX_MISMATCH", 9);
});

Deno.test("tamper: verify --range proves each record of the range into the newest checkpoint", async () => {
  const clean = await tampered(async (dir) => {
    const ledger = await Ledger.open(dir);
    const report = await assertVerifies(ledger, { range: { from: 3, to: 9 } });
    assert.equal(report.recordsChecked, 6);
    const outside = await verifyLedger(ledger, { range: { from: 3, to: 13 } });
    assert.equal(outside.failure?.code, "BAD_RANGE");
    ledger.close();
    sqlite(`${dir}/ledger.db`, unguarded(`UPDATE records SET kind = 'X' WHERE leaf = 10;`));
    const unaffected = await Ledger.open(dir);
    const r = await verifyLedger(unaffected, { range: { from: 3, to: 9 } });
    assert.equal(r.ok, true, "a change outside the range is not this range's business");
    unaffected.close();
  });
  expectFailure(clean, "INDEX_MISMATCH", 10);
  const body = new TextEncoder().encode(bodyOf(5).replace(`"i":5`, `"i":7`));
  const forge = `UPDATE records SET body = ${hex(body)}, self_hash = ${
    hex(hasher.digest(body))
  } WHERE leaf = 5;`;
  const report = await rangeAfter(forge, { from: 4, to: 8 });
  expectFailure(report, "ROOT_MISMATCH", 5);
  assert.match(report.failure!.message, /this record or a stored Merkle node on its path was altered/);
  expectFailure(
    await rangeAfter(`DELETE FROM records WHERE leaf = 10;`, { from: 5, to: 11 }),
    "LEAF_GAP",
    10,
  );
  expectFailure(
    await rangeAfter(`DELETE FROM checkpoints WHERE size = 12;`, { from: 0, to: 12 }),
    "CHECKPOINT_MISSING",
    7,
  );
  // Migrated from schema 3: leaf hashes below leaf_nodes_from come from the records, so leaf 4's proof fails.
  const legacy = await rangeAfter(forge, { from: 4, to: 8 }, downgradeToSchema3);
  expectFailure(legacy, "ROOT_MISMATCH", 4);
  assert.match(legacy.failure!.message, /this record or leaf 5 was altered/);
});

/** Range verify of a copy of the template after `sql`, then `prepare`, applied to the copy's directory. */
async function rangeAfter(
  sql: string,
  range: { from: number; to: number },
  prepare: (dir: string) => void = () => {},
): Promise<VerifyReport> {
  const dir = await copyOfTemplate("smem-range-");
  sqlite(`${dir}/ledger.db`, unguarded(sql));
  prepare(dir);
  const ledger = await Ledger.open(dir);
  try {
    return await verifyLedger(ledger, { range });
  } finally {
    ledger.close();
    await Deno.remove(dir, { recursive: true });
  }
}
