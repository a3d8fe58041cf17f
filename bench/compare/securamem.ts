/**
 * SecuraMem's side of `deno task bench:compare`: batched durable ingest, single durable appends
 * with their receipts, full verify, proof generation and verification, bytes per record.
 * @module
 */
import { MerkleHasher } from "../../core/merkle_hasher.ts";
import { verifyInclusion } from "../../core/merkle_verify.ts";
import type { RecordDraft } from "../../core/record.ts";
import { Ledger } from "../../ledger/ledger.ts";
import { verifyLedger } from "../../ledger/verify.ts";
import {
  directoryBytes,
  latencyQuantiles,
  readDrafts,
  report,
  runnerArgs,
  SINGLE_APPENDS,
} from "./_common.ts";

const { recordsFile, workDir } = runnerArgs();
const drafts = readDrafts(recordsFile) as unknown as RecordDraft[];
let canonicalBytes = 0;
const ledger = await Ledger.create(`${workDir}/securamem`, {
  onCommit: (commit) => {
    for (const record of commit.records) canonicalBytes += record.bytes;
  },
});

let start = performance.now();
for (let i = 0; i < drafts.length; i += 1000) await ledger.appendBatch(drafts.slice(i, i + 1000));
const ingest = drafts.length / ((performance.now() - start) / 1000);

// SINGLE_APPENDS unmeasured, then SINGLE_APPENDS timed, as the peers do.
const latencies: number[] = [];
for (let i = 0; i < 2 * SINGLE_APPENDS; i++) {
  const t = performance.now();
  const result = await ledger.append({ ...drafts[i], stream: "single" });
  ledger.receipt(result.index, result.checkpointSize);
  if (i >= SINGLE_APPENDS) latencies.push(performance.now() - t);
}
const single = latencyQuantiles(latencies);

/** Full verify rate, records/s, with `workers` (1: in line, one core). */
async function verifyRate(workers?: number): Promise<number> {
  const start = performance.now();
  const verified = await verifyLedger(ledger, { workers });
  if (!verified.ok) throw new Error(`verify failed: ${verified.failure?.message}`);
  return verified.recordsChecked / ((performance.now() - start) / 1000);
}
const verify = await verifyRate();
const verifyOneCore = await verifyRate(1);

const size = ledger.size;
const indexes = Array.from({ length: 2000 }, (_, i) => (i * 7919) % size);
start = performance.now();
const proofs = indexes.map((index) => ledger.inclusionProof(index, size));
const proofGenUs = ((performance.now() - start) * 1000) / indexes.length;
const root = ledger.rootAt(size);
const leaves = indexes.map((index) => {
  const { selfHash } = ledger.record(index);
  return Uint8Array.fromHex(selfHash.slice(selfHash.indexOf(":") + 1));
});
const mh = new MerkleHasher(ledger.hasher);
start = performance.now();
indexes.forEach((index, i) => verifyInclusion(mh, index, size, mh.leaf(leaves[i]), proofs[i], root));
const proofVerify = indexes.length / ((performance.now() - start) / 1000);
const meanRecordBytes = canonicalBytes / size;
ledger.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
const bytesPerRecord = directoryBytes(ledger.paths.dir) / size;
ledger.close();
report({
  ingest,
  singleP50: single.p50,
  singleP99: single.p99,
  verify,
  verifyOneCore,
  proofGenUs,
  proofVerify,
  bytesPerRecord,
  meanRecordBytes,
});
