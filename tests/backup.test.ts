/**
 * `smem backup`: a consistent copy taken while another process appends, a whole ledger directory
 * of its own (verified with the trusted key alone), the signer key only when asked, never over an
 * existing ledger, and nothing left behind when the target disk fills.
 */
import assert from "node:assert/strict";
import { backupLedger } from "../ledger/backup.ts";
import { Ledger } from "../ledger/ledger.ts";
import { assertVerifies, createKiBLedger } from "./_ledger.ts";
import { expectExit, runSmem } from "./_smem.ts";
import { SmallDisk } from "./_small_disk.ts";
import { spawnWriter } from "./_writer_process.ts";

/** Records in the ledger the live-writer tests back up, before the writer adds WRITER_RECORDS. */
const SOURCE_RECORDS = 2000;
const WRITER_RECORDS = 20000;

/** A ledger with `count` records of ~1 KiB, in a new temporary root; the CLI may read and write the root. */
async function sourceLedger(count: number): Promise<{ root: string; dir: string; allow: string[] }> {
  const root = await Deno.makeTempDir({ prefix: "smem-backup-" });
  const dir = `${root}/ledger`;
  await createKiBLedger(dir, "backup.example", count);
  return { root, dir, allow: [`--allow-read=${root}`, `--allow-write=${root}`] };
}

/**
 * Runs `body` once a writer process is committing to `dir` (WRITER_RECORDS records, 50 a commit),
 * and waits for the writer to end.
 */
async function whileWriting<T>(dir: string, body: () => Promise<T>): Promise<T> {
  const writer = spawnWriter(dir, WRITER_RECORDS, 50, "w2", "live");
  const acknowledged = writer.stdout.pipeThrough(new TextDecoderStream()).getReader();
  while (!(await acknowledged.read()).value?.includes("ack ")) { /* its first batch */ }
  const result = await body();
  for (let chunk = await acknowledged.read(); !chunk.done; chunk = await acknowledged.read()) {
    /* drain */
  }
  assert.equal((await writer.status).code, 0);
  return result;
}

/**
 * Asserts that a backup of `size` records with checkpoint `checkpoint` is a snapshot of the
 * ledger in `dir` (SOURCE_RECORDS records before the writer) taken while the writer was appending.
 */
async function assertMidIngestSnapshot(
  dir: string,
  size: number,
  checkpoint: { size: number; root: string },
): Promise<void> {
  assert.ok(
    size > SOURCE_RECORDS && size < SOURCE_RECORDS + WRITER_RECORDS,
    `a snapshot taken mid-ingest: ${size}`,
  );
  assert.equal((size - SOURCE_RECORDS) % 50, 0, "a commit boundary: the writer commits 50 at a time");
  assert.equal(checkpoint.size, size);
  const source = await Ledger.open(dir);
  try {
    const signed = source.checkpointAt(size);
    assert.ok(signed !== undefined);
    assert.equal(checkpoint.root, signed.checkpoint.root.toBase64(), "the source's checkpoint of that size");
  } finally {
    source.close();
  }
}

Deno.test("smem backup: one consistent snapshot while another process appends, verified with the trusted key alone", async () => {
  const { root, dir, allow } = await sourceLedger(SOURCE_RECORDS);
  try {
    expectExit(
      await runSmem(["keys", "export", "--dir", dir, "--out", `${root}/verifier.key`], { allow }),
      0,
      "key",
    );
    const backedUp = await whileWriting(
      dir,
      () => runSmem(["backup", "--dir", dir, "--out", `${root}/copy`, "--json"], { allow }),
    );
    expectExit(backedUp, 0, "backup under a live writer");
    const summary = JSON.parse(backedUp.stdout);
    await assertMidIngestSnapshot(dir, summary.size, summary.checkpoint);
    const verified = await runSmem([
      "verify",
      "--dir",
      `${root}/copy`,
      "--key",
      `${root}/verifier.key`,
      "--json",
    ], {
      allow,
    });
    expectExit(verified, 0, "verify the copy");
    assert.equal(JSON.parse(verified.stdout).records_checked, summary.size);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("backupLedger in small steps: a writer's commits between the steps neither restart the copy nor reach it", async () => {
  const { root, dir } = await sourceLedger(SOURCE_RECORDS);
  try {
    const steps: Array<[copied: number, total: number]> = [];
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const summary = await whileWriting(dir, () =>
      backupLedger(dir, `${root}/copy`, {
        pagesPerStep: 16,
        onProgress(copied, total) {
          steps.push([copied, total]);
          // Each step waits 2 ms, so the writer commits while the copy is half made.
          Atomics.wait(pause, 0, 0, 2);
        },
      }));
    const total = steps[0][1];
    assert.ok(steps.length >= total / 16, `a step at a time: ${steps.length} reports for ${total} pages`);
    const copied = steps.map(([pages]) => pages);
    assert.deepEqual(copied, copied.toSorted((a, b) => a - b), "the copy never restarted");
    assert.ok(steps.every(([, pages]) => pages === total), "one snapshot: its page count never changed");
    assert.deepEqual(steps.at(-1), [total, total]);
    await assertMidIngestSnapshot(dir, summary.status.size, {
      size: summary.status.checkpoint.size,
      root: summary.status.checkpoint.root.toBase64(),
    });
    const copy = await Ledger.open(`${root}/copy`);
    try {
      assert.equal((await assertVerifies(copy)).recordsChecked, summary.status.size);
    } finally {
      copy.close();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("smem backup: the signer key only with --with-key (owner-only), never over an existing ledger", async () => {
  const { root, dir, allow } = await sourceLedger(500);
  try {
    const backup = await runSmem(["backup", "--dir", dir, "--out", `${root}/public`, "--json"], { allow });
    expectExit(backup, 0, "backup");
    assert.equal(JSON.parse(backup.stdout).with_key, false);
    await assert.rejects(Deno.stat(`${root}/public/signer.key`), Deno.errors.NotFound);
    const unsigned = await runSmem(["append", "--dir", `${root}/public`, "--kind", "X", "--json"], { allow });
    expectExit(unsigned, 3, "append to a copy without the key");
    assert.equal(JSON.parse(unsigned.stdout).error.code, "NO_SIGNER_KEY");

    const again = await runSmem(["backup", "--dir", dir, "--out", `${root}/public`, "--json"], { allow });
    expectExit(again, 2, "backup over a ledger");
    assert.equal(JSON.parse(again.stdout).error.code, "LEDGER_EXISTS");
    expectExit(await runSmem(["verify", "--dir", `${root}/public`], { allow }), 0, "the copy is untouched");
    await assertRefusedLeavingNoLedger(`${root}/public`, `${root}/keyless`, "NO_SIGNER_KEY");
    await Deno.mkdir(`${root}/keyed`);
    await Deno.writeTextFile(`${root}/keyed/signer.key`, "a key kept here");
    await assertRefusedLeavingNoLedger(dir, `${root}/keyed`, "LEDGER_EXISTS");
    assert.equal(
      await Deno.readTextFile(`${root}/keyed/signer.key`),
      "a key kept here",
      "an existing key is kept",
    );
    await assertRefusedLeavingNoLedger(`${root}/nowhere`, `${root}/from-nowhere`, "NOT_A_LEDGER");

    // A backup killed part-way leaves its partial file (here the start of a database); the next one replaces it.
    await Deno.mkdir(`${root}/full`);
    await Deno.writeFile(
      `${root}/full/ledger.db.partial`,
      (await Deno.readFile(`${dir}/ledger.db`)).subarray(0, 20000),
    );
    expectExit(
      await runSmem(["backup", "--dir", dir, "--out", `${root}/full`, "--with-key"], { allow }),
      0,
      "backup",
    );
    await assert.rejects(Deno.stat(`${root}/full/ledger.db.partial`), Deno.errors.NotFound);
    assert.equal((await Deno.stat(`${root}/full/signer.key`)).mode! & 0o777, 0o600);
    assert.deepEqual(
      await Deno.readFile(`${root}/full/signer.key`),
      await Deno.readFile(`${dir}/signer.key`),
    );
    expectExit(
      await runSmem(["append", "--dir", `${root}/full`, "--kind", "X"], { allow }),
      0,
      "the copy signs",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** Asserts that backing up `dir` with its key into `out` fails with `code` and leaves no ledger there. */
async function assertRefusedLeavingNoLedger(dir: string, out: string, code: string): Promise<void> {
  await assert.rejects(backupLedger(dir, out, { withKey: true }), { code });
  await assert.rejects(Deno.stat(`${out}/ledger.db`), Deno.errors.NotFound);
  await assert.rejects(Deno.stat(`${out}/ledger.db.partial`), Deno.errors.NotFound);
}

Deno.test("smem backup onto a full disk: DISK_FULL (exit 3) and no copy, whole or partial, left behind", async () => {
  const { root, dir } = await sourceLedger(4000);
  const disk = await SmallDisk.mount(`${root}/disk`, 3072);
  try {
    const out = `${disk.dir}/copy`;
    const refused = await runSmem(["backup", "--dir", dir, "--out", out, "--json"], {
      allow: [`--allow-read=${root}`, `--allow-write=${root}`],
      place: disk,
    });
    expectExit(refused, 3, "backup onto a full disk");
    assert.equal(JSON.parse(refused.stdout).error.code, "DISK_FULL");
    assert.deepEqual(
      await Promise.all(["copy/ledger.db", "copy/ledger.db.partial"].map((f) => disk.has(f))),
      [
        false,
        false,
      ],
    );
  } finally {
    await disk[Symbol.asyncDispose]();
    await Deno.remove(root, { recursive: true });
  }
});
