/**
 * A full disk: the ledger on a tmpfs of 3 MiB in a namespace of its own (tests/_small_disk.ts),
 * filled by ingesting until a commit finds no room. What was acknowledged stays and verifies,
 * nothing of the refused batch is stored, the refusal is `DISK_FULL` (exit 3, HTTP 507) and
 * names the file, no half-written output file is left, and the ledger goes on once space is freed.
 */
import assert from "node:assert/strict";
import { expectExit, type Run, runSmem } from "./_smem.ts";
import { SmallDisk } from "./_small_disk.ts";
import { serve } from "./_serve_process.ts";
import { openDashboard, waitForVisible } from "./_dashboard.ts";

const DISK_KIB = 3072;
/** Freed once the disk is full, so the ledger has room again. */
const FILLER_BYTES = 1 << 20;
/** Drafts a batch: more than SEAL_WORKER_MIN, so the seal worker takes part. */
const BATCH = 150;
/** Batches tried before the test gives up on filling the disk. */
const MOST_BATCHES = 40;

/** NDJSON of `BATCH` drafts of ~1 KiB on stream `stream`. */
function batchOf(stream: string): string {
  const lines = [];
  for (let n = 0; n < BATCH; n++) {
    lines.push(JSON.stringify({ kind: "ModelInvoked", stream, attrs: { n, pad: "x".repeat(900) } }));
  }
  return `${lines.join("\n")}\n`;
}

type Smem = (args: string[], stdin?: string) => Promise<Run>;

/** Runs `body` with the path of a ledger directory (not made yet) on a new small disk, then unmounts it. */
async function onSmallDisk(body: (disk: SmallDisk, dir: string, smem: Smem) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "smem-disk-full-" });
  const disk = await SmallDisk.mount(`${root}/disk`, DISK_KIB);
  try {
    const dir = `${disk.dir}/ledger`;
    await body(disk, dir, smemOn(disk, dir));
  } finally {
    await disk[Symbol.asyncDispose]();
    await Deno.remove(root, { recursive: true });
  }
}

/** Makes the ledger, then takes FILLER_BYTES of the disk, to be freed once it is full. */
async function initWithFiller(disk: SmallDisk, smem: Smem): Promise<void> {
  expectExit(await smem(["init", "--name", "full.example"]), 0, "init");
  await disk.fill("filler", FILLER_BYTES);
}

/** `smem ARGS --dir DIR` inside the disk's namespace, with read/write of the disk only. */
function smemOn(disk: SmallDisk, dir: string): Smem {
  return (args, stdin) =>
    runSmem([...args, "--dir", dir], {
      allow: [`--allow-read=${disk.dir}`, `--allow-write=${disk.dir}`],
      stdin,
      place: disk,
    });
}

function errorOf(run: Run): { code: string; message: string; where?: { line?: number } } {
  return JSON.parse(run.stdout).error;
}

Deno.test("a full disk: ingest refuses the batch whole (DISK_FULL, exit 3, the first line not stored), keeps what was acknowledged, and goes on once space is freed", async () => {
  await onSmallDisk(async (disk, dir, smem) => {
    await initWithFiller(disk, smem);
    let acknowledged = 0;
    let refused: { run: Run; stream: string } | undefined;
    for (let batch = 0; refused === undefined && batch < MOST_BATCHES; batch++) {
      const stream = `agent-${batch}`;
      const run = await smem(["ingest", "--json", "--batch", String(BATCH)], batchOf(stream));
      if (run.code === 0) acknowledged += JSON.parse(run.stdout).appended;
      else refused = { run, stream };
    }
    assert.ok(refused !== undefined, `the disk never filled in ${MOST_BATCHES} batches`);
    expectExit(refused.run, 3, "ingest on a full disk");
    const error = errorOf(refused.run);
    assert.equal(error.code, "DISK_FULL", refused.run.stdout + refused.run.stderr);
    assert.match(error.message, /ledger\.db: the disk is full; nothing of this write was kept/);
    assert.equal(error.where?.line, 1, "the refused batch's first line");

    const status = JSON.parse((await smem(["status", "--json"])).stdout);
    assert.equal(status.size, acknowledged, "every acknowledged record, and none of the refused batch");
    const verified = await smem(["verify", "--json"]);
    expectExit(verified, 0, "verify on a full disk");
    assert.equal(JSON.parse(verified.stdout).records_checked, acknowledged);

    // Output files on a full disk: refused, and nothing half-written left behind.
    await disk.fill("rest");
    const exported = await smem(["export", "--json", "--out", `${dir}/evidence.smemctx`]);
    expectExit(exported, 3, "export on a full disk");
    assert.equal(errorOf(exported).code, "DISK_FULL");
    assert.match(errorOf(exported).message, /evidence\.smemctx: the disk is full/);
    assert.equal(await disk.has("ledger/evidence.smemctx"), false);
    assert.equal(await disk.has("ledger/evidence.smemctx.partial"), false);
    const receipt = await smem(["receipt", "0", "--json", "--out", `${dir}/r.json`]);
    expectExit(receipt, 3, "receipt --out on a full disk");
    assert.equal(errorOf(receipt).code, "DISK_FULL");
    assert.equal(await disk.has("ledger/r.json"), false);

    await disk.remove("rest");
    await disk.remove("filler");
    const resumed = await smem(["ingest", "--json"], batchOf(refused.stream));
    expectExit(resumed, 0, "the refused batch once space is freed");
    const summary = JSON.parse(resumed.stdout);
    assert.deepEqual([summary.appended, summary.first_index], [BATCH, acknowledged]);
    const after = await smem(["verify", "--json"]);
    expectExit(after, 0, "verify after the disk had room again");
    assert.equal(JSON.parse(after.stdout).records_checked, acknowledged + BATCH);
  });
});

Deno.test("a full disk: the server answers 507 DISK_FULL, is not ready and its dashboard says so until space is freed, stays up, and loses nothing acknowledged", async () => {
  await onSmallDisk(async (disk, dir, smem) => {
    await initWithFiller(disk, smem);
    const served = await serve(disk.dir, dir, [], undefined, disk);
    const post = (body: string) =>
      fetch(`${served.url}/v1/records?receipts=none`, {
        method: "POST",
        headers: { authorization: `Bearer ${served.token}`, "content-type": "application/json" },
        body,
      });
    const batchBody = (stream: string) => `[${batchOf(stream).trimEnd().split("\n").join(",")}]`;
    const ready = async () => (await fetch(`${served.url}/readyz`)).json();

    let acknowledged = 0;
    let refused: { response: Response; stream: string } | undefined;
    for (let batch = 0; refused === undefined && batch < MOST_BATCHES; batch++) {
      const stream = `agent-${batch}`;
      // Single records too, through the group commit's short path, between the batches.
      const single = await post(JSON.stringify({ kind: "ToolCalled", stream: `single-${batch}` }));
      if (single.status === 201) acknowledged++;
      await single.body?.cancel();
      const response = await post(batchBody(stream));
      if (response.status === 201) acknowledged += (await response.json()).results.length;
      else refused = { response, stream };
    }
    assert.ok(refused !== undefined, `the disk never filled in ${MOST_BATCHES} batches`);
    assert.equal(refused.response.status, 507);
    const error = (await refused.response.json()).error;
    assert.equal(error.code, "DISK_FULL");
    assert.match(error.message, /the disk is full; nothing of this write was kept/);
    const again = await post(batchBody(refused.stream));
    assert.equal(again.status, 507, "still full");
    await again.body?.cancel();
    const notReady = await ready();
    assert.equal(notReady.ready, false);
    assert.equal(notReady.checks.disk_has_room, false);
    assert.equal(notReady.checks.disk_syncs, true, "a full disk is not a failing one");
    const status = async () => (await fetch(`${served.url}/v1/status`)).json();
    assert.equal((await status()).disk_has_room, false);
    const dashboard = await openDashboard(served.url, served.token);
    const metrics = await (await fetch(`${served.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`audit_drop_total\\{reason="disk_full"\\} ${2 * BATCH}\\b`));
    assert.equal((await (await fetch(`${served.url}/healthz`)).json()).ok, true, "the server is still up");

    try {
      assert.equal(await dashboard.page.isVisible("#disk-full"), true, "the dashboard says the disk is full");
      await disk.remove("filler");
      await waitForVisible(dashboard.page, "#disk-full", false);
      assert.deepEqual(dashboard.problems, [], "no console errors");
    } finally {
      await dashboard.browser.close();
    }
    assert.equal((await status()).disk_has_room, true);
    assert.equal((await ready()).ready, true, "ready again once space is freed");
    const resumed = await post(batchBody(refused.stream));
    assert.equal(resumed.status, 201);
    const results = (await resumed.json()).results;
    assert.deepEqual([results.length, results[0].index], [BATCH, acknowledged]);
    const verified = await (await fetch(`${served.url}/v1/verify`, {
      method: "POST",
      headers: { authorization: `Bearer ${served.token}` },
    })).json();
    assert.deepEqual([verified.state, verified.recordsChecked], ["ok", acknowledged + BATCH]);

    served.child.kill("SIGTERM");
    const log = await served.stderr;
    assert.equal((await served.child.status).code, 0, log);
    assert.equal(
      log.match(/appends refused until space is freed: .*ledger\.db: the disk is full/g)?.length,
      1,
      log,
    );
    const after = await smem(["verify", "--json"]);
    expectExit(after, 0, "verify after the server stopped");
    assert.equal(JSON.parse(after.stdout).records_checked, acknowledged + BATCH);
  });
});

Deno.test("a full disk: init makes nothing (no key, no database) and succeeds once space is freed", async () => {
  await onSmallDisk(async (disk, dir, smem) => {
    await Deno.mkdir(disk.hostPath(dir));
    // Room for the signer key file and not for the database: the key written first must go too.
    await disk.fill("room", 8192);
    await disk.fill("rest");
    await disk.remove("room");
    const refused = await smem(["init", "--json", "--name", "full.example"]);
    expectExit(refused, 3, "init on a full disk");
    assert.equal(errorOf(refused).code, "DISK_FULL");
    assert.deepEqual(
      await Promise.all(
        ["signer.key", "ledger.db", "ledger.db-wal"].map((name) => disk.has(`ledger/${name}`)),
      ),
      [false, false, false],
    );
    await disk.remove("rest");
    expectExit(await smem(["init", "--name", "full.example"]), 0, "init once space is freed");
    expectExit(await smem(["verify"]), 0, "verify the new ledger");
  });
});
