/**
 * Ceilings for `deno task bench:compare`: hash-wasm BLAKE3 and node:crypto SHA-256 over the same
 * canonical record bytes, and a raw SQLite insert of rows of the same size (1,000 per
 * transaction, WAL + synchronous=FULL, no index, no hashing).
 * @module
 */
import { createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { canonicalizeRecord } from "../../core/canonical.ts";
import { loadHasher } from "../../wasm/hasher.ts";
import { readDrafts, report, runnerArgs } from "./_common.ts";

const { recordsFile, workDir } = runnerArgs();
const drafts = readDrafts(recordsFile);
const records = drafts.map((draft, i) =>
  canonicalizeRecord({
    v: 1,
    writer_id: "securamem@local",
    seq: i + 1,
    stream: "default",
    actor: {},
    subject: {},
    reason: "",
    attrs: {},
    ...draft,
    prev: `b3:${"0".repeat(64)}`,
  }).bytes
);

const b3 = await loadHasher("b3");
let start = performance.now();
for (const bytes of records) b3.digest(bytes);
const blake3 = records.length / ((performance.now() - start) / 1000);
start = performance.now();
for (const bytes of records) createHash("sha256").update(bytes).digest();
const sha256 = records.length / ((performance.now() - start) / 1000);

Deno.mkdirSync(`${workDir}/raw`, { recursive: true });
const db = new DatabaseSync(`${workDir}/raw/raw.db`);
db.exec("PRAGMA journal_mode = WAL");
db.exec("PRAGMA synchronous = FULL");
db.exec("CREATE TABLE rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
const insert = db.prepare("INSERT INTO rows (id, body) VALUES (?, ?)");
start = performance.now();
for (let i = 0; i < records.length; i += 1000) {
  db.exec("BEGIN IMMEDIATE");
  for (let j = i; j < Math.min(records.length, i + 1000); j++) insert.run(j, records[j]);
  db.exec("COMMIT");
}
const rawSqlite = records.length / ((performance.now() - start) / 1000);
db.close();
report({ blake3, sha256, rawSqlite });
