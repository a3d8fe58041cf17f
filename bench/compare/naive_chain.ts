/**
 * The naive SQLite hash chain of older Node audit tools, for `deno task bench:compare`: JSON with
 * sorted keys, SHA-256 over prev ‖ data, an Ed25519 signature per record (node:crypto, native),
 * WAL + synchronous=FULL like SecuraMem. 1,000 records per transaction, then one transaction per
 * record, then full verification (re-hash the chain, check every signature).
 * @module
 */
import { createHash, generateKeyPairSync, sign, verify } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import {
  directoryBytes,
  latencyQuantiles,
  readDrafts,
  report,
  runnerArgs,
  SINGLE_APPENDS,
} from "./_common.ts";

const { recordsFile, workDir } = runnerArgs();
const drafts = readDrafts(recordsFile);
const dir = `${workDir}/naive`;
Deno.mkdirSync(dir, { recursive: true });
const db = new DatabaseSync(`${dir}/chain.db`);
db.exec("PRAGMA journal_mode = WAL");
db.exec("PRAGMA synchronous = FULL");
db.exec(
  "CREATE TABLE chain (seq INTEGER PRIMARY KEY, data TEXT NOT NULL, prev BLOB NOT NULL, hash BLOB NOT NULL, sig BLOB NOT NULL)",
);
const insert = db.prepare("INSERT INTO chain (seq, data, prev, hash, sig) VALUES (?, ?, ?, ?, ?)");
const { privateKey, publicKey } = generateKeyPairSync("ed25519");

function sortedJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
        : v,
  );
}

let prev: Uint8Array = new Uint8Array(32);
let seq = 0;
function appendOne(draft: unknown): void {
  const data = sortedJson(draft);
  const hash = createHash("sha256").update(prev).update(data).digest();
  insert.run(seq++, data, prev, hash, sign(null, hash, privateKey));
  prev = hash;
}

let start = performance.now();
for (let i = 0; i < drafts.length; i += 1000) {
  db.exec("BEGIN IMMEDIATE");
  for (const draft of drafts.slice(i, i + 1000)) appendOne(draft);
  db.exec("COMMIT");
}
const batched = drafts.length / ((performance.now() - start) / 1000);

// SINGLE_APPENDS unmeasured, then SINGLE_APPENDS timed, as the others do.
const latencies: number[] = [];
for (let i = 0; i < 2 * SINGLE_APPENDS; i++) {
  if (i === SINGLE_APPENDS) start = performance.now();
  const t = performance.now();
  db.exec("BEGIN IMMEDIATE");
  appendOne(drafts[i]);
  db.exec("COMMIT");
  if (i >= SINGLE_APPENDS) latencies.push(performance.now() - t);
}
const singleRate = SINGLE_APPENDS / ((performance.now() - start) / 1000);
const single = latencyQuantiles(latencies);

start = performance.now();
let expected: Uint8Array = new Uint8Array(32);
let checked = 0;
for (const row of db.prepare("SELECT data, prev, hash, sig FROM chain ORDER BY seq").iterate()) {
  const { data, prev: stored, hash, sig } = row as {
    data: string;
    prev: Uint8Array;
    hash: Uint8Array;
    sig: Uint8Array;
  };
  const again = createHash("sha256").update(stored).update(data).digest();
  if (!again.equals(hash) || !Buffer.from(stored).equals(expected) || !verify(null, hash, publicKey, sig)) {
    throw new Error(`naive chain broken at ${checked}`);
  }
  expected = hash;
  checked++;
}
const verifyRate = checked / ((performance.now() - start) / 1000);
db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
db.close();
report({
  singleRate,
  singleP50: single.p50,
  singleP99: single.p99,
  batched,
  verify: verifyRate,
  bytesPerRecord: directoryBytes(dir) / checked,
});
