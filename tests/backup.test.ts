/**
 * `smem backup`: a consistent copy taken while another process appends, a whole ledger directory
 * of its own (verified with the trusted key alone), the signer key only when asked, never over an
 * existing ledger, and nothing left behind when the target disk fills.
 */
import assert from "node:assert/strict";
import { Ledger } from "../ledger/ledger.ts";
import { expectExit, runSmem } from "./_smem.ts";
import { SmallDisk } from "./_small_disk.ts";
import { spawnWriter } from "./_writer_process.ts";

/** A ledger with `count` records of ~1 KiB, in a new temporary root; the CLI may read and write the root. */
async function sourceLedger(count: number): Promise<{ root: string; dir: string; allow: string[] }> {
  const root = await Deno.makeTempDir({ prefix: "smem-backup-" });
  const dir = `${root}/ledger`;
  const ledger = await Ledger.create(dir, { name: "backup.example" });
  const pad = "p".repeat(900);
  for (let done = 0; done < count; done += 500) {
    await ledger.appendBatch(
      Array.from({ length: 500 }, (_, n) => ({ kind: "ModelInvoked", attrs: { n: done + n, pad } })),
    );
  }
  ledger.close();
  return { root, dir, allow: [`--allow-read=${root}`, `--allow-write=${root}`] };
}

Deno.test("smem backup: one consistent snapshot while another process appends, verified with the trusted key alone", async () => {
  const { root, dir, allow } = await sourceLedger(2000);
  try {
    expectExit(
      await runSmem(["keys", "export", "--dir", dir, "--out", `${root}/verifier.key`], { allow }),
      0,
      "key",
    );
    const writer = spawnWriter(dir, 20000, 50, "w2", "live");
    const acknowledged = writer.stdout.pipeThrough(new TextDecoderStream()).getReader();
    // The backup starts once the writer is committing.
    while (!(await acknowledged.read()).value?.includes("ack ")) { /* its first batch */ }
    const backedUp = await runSmem(["backup", "--dir", dir, "--out", `${root}/copy`, "--json"], { allow });
    for (let chunk = await acknowledged.read(); !chunk.done; chunk = await acknowledged.read()) {
      /* drain */
    }
    assert.equal((await writer.status).code, 0);
    expectExit(backedUp, 0, "backup under a live writer");
    const summary = JSON.parse(backedUp.stdout);

    const source = await Ledger.open(dir);
    try {
      assert.ok(summary.size > 2000 && summary.size < 22000, `a snapshot taken mid-ingest: ${summary.size}`);
      assert.equal((summary.size - 2000) % 50, 0, "a commit boundary: the writer commits 50 at a time");
      assert.equal(summary.checkpoint.size, summary.size);
      const signed = source.checkpointAt(summary.size);
      assert.ok(signed !== undefined);
      assert.equal(
        summary.checkpoint.root,
        signed.checkpoint.root.toBase64(),
        "the source's checkpoint of that size",
      );
    } finally {
      source.close();
    }
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

Deno.test("smem backup: the signer key only with --with-key (owner-only), never over an existing ledger", async () => {
  const { root, dir, allow } = await sourceLedger(500);
  try {
    expectExit(await runSmem(["backup", "--dir", dir, "--out", `${root}/public`], { allow }), 0, "backup");
    await assert.rejects(Deno.stat(`${root}/public/signer.key`), Deno.errors.NotFound);
    const unsigned = await runSmem(["append", "--dir", `${root}/public`, "--kind", "X", "--json"], { allow });
    expectExit(unsigned, 3, "append to a copy without the key");
    assert.equal(JSON.parse(unsigned.stdout).error.code, "NO_SIGNER_KEY");

    const again = await runSmem(["backup", "--dir", dir, "--out", `${root}/public`, "--json"], { allow });
    expectExit(again, 2, "backup over a ledger");
    assert.equal(JSON.parse(again.stdout).error.code, "LEDGER_EXISTS");
    expectExit(await runSmem(["verify", "--dir", `${root}/public`], { allow }), 0, "the copy is untouched");

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
