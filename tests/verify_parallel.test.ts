/**
 * Parallel verification (ledger/verify_pool.ts) must be the same verifier as the in-line scan:
 * on an intact ledger and on every tampering, workers and the in-line scan report the same first
 * failure, at the same leaf, including failures on chunk boundaries and failures found by the
 * workers and by the sequential scan in the same chunk.
 */
import assert from "node:assert/strict";
import { Ledger } from "../ledger/ledger.ts";
import { verifyLedger, type VerifyReport } from "../ledger/verify.ts";
import { CHUNK_LEAVES } from "../ledger/verify_chunk.ts";
import { buildWorkerModule, WORKER_BUNDLES } from "../ledger/worker_build.ts";
import { agentDraft, tempLedger } from "./_ledger.ts";
import { expectFailure, hex, sqlite, unguarded } from "./_tamper.ts";
import { expectExit, runSmem } from "./_smem.ts";

const RECORDS = 2 * CHUNK_LEAVES + 3_000;
const ROTATION_AT = CHUNK_LEAVES + 500;

const template = await tempLedger({ durability: "normal" });
for (let done = 0; done < RECORDS;) {
  if (done === ROTATION_AT) {
    await template.rotateKey();
    done++;
    continue;
  }
  const count = Math.min(1000, RECORDS - done, done < ROTATION_AT ? ROTATION_AT - done : Infinity);
  await template.appendBatch(Array.from({ length: count }, (_, i) => {
    const n = done + i;
    return agentDraft(
      n,
      n % 5 === 0 ? { subject: { content_id: `b3:${n.toString(16).padStart(64, "0")}` } } : {},
    );
  }));
  done += count;
}
const templateDir = template.paths.dir;
const hasher = template.hasher;
const bodyOf = (leaf: number) => template.record(leaf).text;
const rotationLeaf = template.query({ stream: "securamem.keys" }).records[0].index;
const bodies = new Map([8192, 8200, 2500, 3100, 5000].map((leaf) => [leaf, bodyOf(leaf)]));
template.close();

/** A fresh copy of the template ledger. */
async function copyOfTemplate(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  for (const name of ["ledger.db", "signer.key"]) {
    await Deno.copyFile(`${templateDir}/${name}`, `${dir}/${name}`);
  }
  return dir;
}

/** Verifies a tampered copy with 2 workers and in line; both reports must agree. */
async function bothWays(sql: string | undefined): Promise<VerifyReport> {
  const dir = await copyOfTemplate("smem-parallel-");
  try {
    if (sql !== undefined) sqlite(`${dir}/ledger.db`, sql);
    const ledger = await Ledger.open(dir);
    try {
      const parallel = await verifyLedger(ledger, { workers: 2 });
      const inline = await verifyLedger(ledger, { workers: 1 });
      assert.equal(parallel.workers, 2);
      assert.equal(inline.workers, 0);
      assert.deepEqual(
        { ...parallel, workers: 0, failure: parallel.failure?.message },
        { ...inline, failure: inline.failure?.message },
      );
      assert.equal(parallel.failure?.code, inline.failure?.code);
      assert.deepEqual(parallel.failure?.where, inline.failure?.where);
      return parallel;
    } finally {
      ledger.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** SQL replacing a record's body (and, with `rehash`, its self_hash) by `body`. */
function rewrite(leaf: number, body: string, rehash = false): string {
  const bytes = new TextEncoder().encode(body);
  const hash = rehash ? `, self_hash = ${hex(hasher.digest(bytes))}` : "";
  return unguarded(`UPDATE records SET body = ${hex(bytes)}${hash} WHERE leaf = ${leaf};`);
}

const otherPrev = `b3:${"ab".repeat(32)}`;
const withPrev = (leaf: number) =>
  bodies.get(leaf)!.replace(/"prev":"b3:[0-9a-f]{64}"/, `"prev":"${otherPrev}"`);
const changed = (leaf: number) => bodies.get(leaf)!.replace(`"i":${leaf}`, `"i":${leaf + 1}`);

Deno.test("workers: each bundle is built from the current sources", async () => {
  for (const bundle of WORKER_BUNDLES) {
    const current = await Deno.readTextFile(new URL(`../${bundle.path}`, import.meta.url));
    assert.ok(
      current === await buildWorkerModule(bundle),
      `${bundle.path} is stale: run deno task build:worker`,
    );
  }
});

Deno.test("verify in parallel: an intact ledger, with a key rotation inside a chunk", async () => {
  const report = await bothWays(undefined);
  assert.equal(report.ok, true, report.failure?.message);
  assert.equal(report.recordsChecked, RECORDS);
  assert.ok(rotationLeaf > CHUNK_LEAVES && rotationLeaf < 2 * CHUNK_LEAVES);
});

Deno.test("verify in parallel: failures inside a chunk and on its first leaf", async () => {
  expectFailure(await bothWays(rewrite(5000, changed(5000))), "HASH_MISMATCH", 5000);
  expectFailure(
    await bothWays(unguarded(`UPDATE records SET kind = 'Innocent' WHERE leaf = ${2 * CHUNK_LEAVES + 7};`)),
    "INDEX_MISMATCH",
    2 * CHUNK_LEAVES + 7,
  );
  expectFailure(
    await bothWays(unguarded(`DELETE FROM records WHERE leaf = ${CHUNK_LEAVES};`)),
    "LEAF_GAP",
    CHUNK_LEAVES,
  );
});

Deno.test("verify in parallel: a broken chain link, at a chunk's first leaf and within it", async () => {
  expectFailure(await bothWays(rewrite(8192, withPrev(8192), true)), "PREV_MISMATCH", 8192);
  expectFailure(await bothWays(rewrite(8200, withPrev(8200), true)), "PREV_MISMATCH", 8200);
});

Deno.test("verify in parallel: a subject filter and a record in the same chunk, in leaf order", async () => {
  const bloom = "UPDATE subject_blooms SET bits = zeroblob(2048) WHERE block = 2;";
  expectFailure(await bothWays(`${bloom}\n${rewrite(2500, changed(2500))}`), "HASH_MISMATCH", 2500);
  expectFailure(await bothWays(`${bloom}\n${rewrite(3100, changed(3100))}`), "INDEX_MISMATCH", 2048);
});

Deno.test("verify in parallel: a checkpoint failure before a worker's failure in the same chunk", async () => {
  const checkpoint = unguarded("UPDATE checkpoints SET root = zeroblob(32) WHERE size = 3000;");
  expectFailure(
    await bothWays(`${checkpoint}\n${rewrite(5000, changed(5000))}`),
    "CHECKPOINT_MISMATCH",
    3000,
  );
});

Deno.test("verify in parallel: the CLI, with only its ledger directory readable, runs its workers", async () => {
  const dir = await copyOfTemplate("smem-parallel-cli-");
  try {
    const cli = async (...extra: string[]) => {
      const out = await runSmem(["verify", "--dir", dir, "--json", ...extra], {
        allow: [`--allow-read=${dir}`, `--allow-write=${dir}`],
      });
      expectExit(out, 0, "verify");
      return JSON.parse(out.stdout);
    };
    const cores = navigator.hardwareConcurrency;
    assert.deepEqual(
      { ...(await cli()), workers: undefined },
      { ...(await cli("--workers", "1")), workers: undefined },
    );
    assert.equal((await cli()).workers, cores > 1 ? Math.min(8, cores) : 0);
    const forced = await cli("--workers", "3");
    assert.equal(forced.workers, 3);
    assert.equal(forced.records_checked, RECORDS);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
