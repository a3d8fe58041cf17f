/**
 * A disk that fails to sync: fsync and fdatasync return EIO (tests/_fsync_fault.ts) while the CLI
 * or the server writes. Nothing is acknowledged that was not made durable, nothing acknowledged is
 * lost, the refusal is `IO_ERROR` naming the file (exit 3, HTTP 500), the ledger verifies, and it
 * goes on once the disk recovers: in the same server process, and in the next CLI run. A refused
 * commit can come back after a crash (its frames reached the WAL before the sync failed): whole,
 * with its checkpoint, never half.
 */
import assert from "node:assert/strict";
import { Ledger } from "../ledger/ledger.ts";
import { agentDraft, assertVerifies, createKiBLedger } from "./_ledger.ts";
import { FsyncFault } from "./_fsync_fault.ts";
import { openDashboard, waitForVisible } from "./_dashboard.ts";
import { serve, type Served } from "./_serve_process.ts";
import { expectExit, type Run, runSmem } from "./_smem.ts";

/** NDJSON of `count` drafts on `stream`. */
function drafts(stream: string, count: number): string {
  return Array.from(
    { length: count },
    (_, n) => `${JSON.stringify({ kind: "ToolCalled", stream, attrs: { n } })}\n`,
  )
    .join("");
}

function errorOf(run: Run): { code: string; message: string } {
  return JSON.parse(run.stdout).error;
}

/** Records of `stream` in the ledger in `dir`. */
async function countOf(dir: string, stream: string): Promise<number> {
  const ledger = await Ledger.open(dir);
  try {
    return ledger.query({ stream, limit: 10_000 }).records.length;
  } finally {
    ledger.close();
  }
}

/**
 * A test with a fault library built and a new temporary root (removed after), the ledger to live
 * in `root/ledger` (not made yet).
 */
function faultTest(
  name: string,
  body: (fault: FsyncFault, root: string, dir: string) => Promise<void>,
): void {
  Deno.test(name, async () => {
    await using fault = await FsyncFault.build();
    const root = await Deno.makeTempDir({ prefix: "smem-fsync-" });
    try {
      await body(fault, root, `${root}/ledger`);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}

faultTest(
  "fsync EIO on the WAL: ingest and append exit 3 (IO_ERROR, the file named), keep what was acknowledged, and the next run goes on",
  async (fault, root, dir) => {
    const smem = (args: string[], stdin?: string) =>
      runSmem([...args, "--dir", dir, "--json"], {
        allow: [`--allow-read=${root}`, `--allow-write=${root}`],
        stdin,
        env: fault.env,
      });
    expectExit(await smem(["init", "--name", "fsync.example"]), 0, "init");
    const first = await smem(["ingest", "--batch", "100"], drafts("before", 300));
    expectExit(first, 0, "ingest with a healthy disk");
    assert.equal(JSON.parse(first.stdout).appended, 300);

    await fault.failOn("/ledger.db-wal");
    const ingest = await smem(["ingest", "--batch", "100"], drafts("during", 300));
    expectExit(ingest, 3, "ingest while the WAL cannot be synced");
    assert.equal(errorOf(ingest).code, "IO_ERROR");
    assert.match(errorOf(ingest).message, /ledger\.db: disk I\/O error .*not acknowledged/);
    const append = await smem(["append", "--kind", "ModelInvoked", "--stream", "during"]);
    expectExit(append, 3, "append while the WAL cannot be synced");
    assert.equal(errorOf(append).code, "IO_ERROR");
    const failed = await fault.failures();
    assert.ok(failed.includes(`${dir}/ledger.db-wal`), `the fault fired on the WAL: ${failed.join(", ")}`);

    await fault.clear();
    assert.equal(await countOf(dir, "before"), 300, "everything acknowledged is there");
    assert.equal(await countOf(dir, "during"), 0, "no refused commit reached the log");
    const after = await smem(["ingest", "--batch", "100"], drafts("after", 200));
    expectExit(after, 0, "ingest once the disk recovers");
    assert.deepEqual(
      [JSON.parse(after.stdout).first_index, JSON.parse(after.stdout).last_index],
      [300, 499],
      "the log goes on from the last acknowledged record, no gap",
    );
    const verified = await smem(["verify"]);
    expectExit(verified, 0, "verify");
    assert.equal(JSON.parse(verified.stdout).records_checked, 500);
  },
);

faultTest(
  "fsync EIO on a backup's copy: IO_ERROR (exit 3) and no file of the copy left behind",
  async (fault, root, dir) => {
    await createKiBLedger(dir, "fsync.example", 500);
    await fault.failOn("/ledger.db.partial");
    const refused = await runSmem(["backup", "--dir", dir, "--out", `${root}/copy`, "--json"], {
      allow: [`--allow-read=${root}`, `--allow-write=${root}`],
      env: fault.env,
    });
    expectExit(refused, 3, "backup onto a disk that cannot sync");
    assert.equal(errorOf(refused).code, "IO_ERROR");
    const failed = await fault.failures();
    assert.ok(
      failed.some((path) => path.startsWith(`${root}/copy/ledger.db.partial`)),
      `the fault fired on the copy (or its journal): ${failed.join(", ")}`,
    );
    assert.deepEqual(
      await Array.fromAsync(Deno.readDir(`${root}/copy`)),
      [],
      "nothing of the copy is left",
    );
  },
);

/** What the clients of the server test saw. */
interface Seen {
  acknowledged: { index: number; selfHash: string }[];
  /** Acknowledged after the fault was cleared. */
  acknowledgedAfter: number;
  /** Requests refused with 500 IO_ERROR, and their drafts. */
  refusedRequests: number;
  refusedDrafts: number;
}

/** A client posting singles and batches of 10 (receipts on every other request) until `stop()`. */
async function postUntil(served: Served, id: number, seen: Seen, phase: () => string): Promise<void> {
  for (let n = 0; phase() !== "stop"; n++) {
    const drafts = Array.from(
      { length: n % 3 === 0 ? 10 : 1 },
      (_, k) => agentDraft(k, { stream: `c${id}` }),
    );
    const during = phase();
    const response = await fetch(`${served.url}/v1/records${n % 2 === 0 ? "?receipts=none" : ""}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${served.token}` },
      body: JSON.stringify(drafts.length === 1 ? drafts[0] : drafts),
    });
    const body = await response.json();
    if (response.status === 201) {
      const results = body.results ?? [body];
      seen.acknowledged.push(...results.map(({ index, selfHash }: { index: number; selfHash: string }) => ({
        index,
        selfHash,
      })));
      if (during === "after") seen.acknowledgedAfter += results.length;
    } else {
      assert.equal(response.status, 500, JSON.stringify(body));
      assert.equal(body.error.code, "IO_ERROR", JSON.stringify(body));
      assert.match(body.error.message, /ledger\.db: disk I\/O error/);
      seen.refusedRequests++;
      seen.refusedDrafts += drafts.length;
    }
  }
}

/** The value of the metric line `name` in Prometheus text. */
function metric(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

faultTest(
  "fsync EIO under load in a running server: 500 IO_ERROR and not ready (the dashboard says so) while the disk fails, nothing acknowledged lost, and the same process goes on once it recovers",
  async (fault, root, dir) => {
    (await Ledger.create(dir, { name: "fsync.example" })).close();
    const served = await serve(root, dir, [], fault.env);
    const seen: Seen = { acknowledged: [], acknowledgedAfter: 0, refusedRequests: 0, refusedDrafts: 0 };
    let phase = "before";
    const clients = Array.from({ length: 4 }, (_, id) => postUntil(served, id, seen, () => phase));
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await wait(500);
    // Every file of the ledger directory: the WAL, the database, and the probe /readyz writes.
    await fault.failOn(`${dir}/`);
    phase = "during";
    await wait(300);
    const ready = async () => (await fetch(`${served.url}/readyz`)).json();
    const failing = await ready();
    assert.deepEqual([failing.ready, failing.checks.disk_syncs, failing.checks.disk_has_room], [
      false,
      false,
      true,
    ]);
    const shown = await (await fetch(`${served.url}/v1/status`)).json();
    assert.equal(shown.disk_syncs, false);
    const dashboard = await openDashboard(served.url, served.token);
    try {
      assert.equal(
        await dashboard.page.isVisible("#disk-failing"),
        true,
        "the dashboard says the disk fails",
      );
      assert.equal(await dashboard.page.isVisible("#disk-full"), false);
      await fault.clear();
      phase = "after";
      await waitForVisible(dashboard.page, "#disk-failing", false);
      assert.deepEqual(dashboard.problems, [], "no console errors");
    } finally {
      await dashboard.browser.close();
    }
    assert.equal((await ready()).ready, true, "ready again once the disk syncs");
    await wait(500);
    phase = "stop";
    await Promise.all(clients);
    const metrics = await (await fetch(`${served.url}/metrics`)).text();
    served.child.kill("SIGTERM");
    const status = await served.child.status;
    assert.equal(status.code, 0, await served.stderr);

    assert.ok(seen.refusedRequests > 0, "requests were refused while the disk failed");
    assert.ok((await fault.failures()).length > 0, "the fault fired");
    assert.ok(seen.acknowledgedAfter > 0, "the same server acknowledged records once the disk recovered");
    assert.equal(
      metric(metrics, 'audit_drop_total{reason="io_error"}'),
      seen.refusedDrafts,
      "every refused draft counted as an io_error drop",
    );
    const ledger = await Ledger.open(dir);
    try {
      for (const ack of seen.acknowledged) assert.equal(ledger.record(ack.index).selfHash, ack.selfHash);
      assert.equal(ledger.size, seen.acknowledged.length, "no refused draft in the log");
      assert.equal(ledger.latestCheckpoint().checkpoint.size, ledger.size);
      await assertVerifies(ledger);
    } finally {
      ledger.close();
    }
    console.log(
      `  ${seen.acknowledged.length} acknowledged (${seen.acknowledgedAfter} after the fault), ` +
        `${seen.refusedRequests} requests refused with IO_ERROR`,
    );
  },
);

faultTest(
  "fsync EIO, then SIGKILL before any other commit: the refused batch is back whole or absent, and the ledger verifies",
  async (fault, root, dir) => {
    (await Ledger.create(dir, { name: "fsync.example" })).close();
    const served = await serve(root, dir, [], fault.env);
    const post = (drafts: unknown[]) =>
      fetch(`${served.url}/v1/records?receipts=none`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${served.token}` },
        body: JSON.stringify(drafts),
      });
    const acknowledged = await post(Array.from({ length: 20 }, (_, k) => agentDraft(k)));
    assert.equal(acknowledged.status, 201);
    await acknowledged.body?.cancel();
    await fault.failOn("/ledger.db-wal");
    const refused = await post(Array.from({ length: 10 }, (_, k) => agentDraft(k, { stream: "refused" })));
    assert.equal(refused.status, 500);
    assert.equal((await refused.json()).error.code, "IO_ERROR");
    served.child.kill("SIGKILL");
    await served.child.status;
    await served.stderr;
    await fault.clear();

    const ledger = await Ledger.open(dir);
    try {
      // The refused commit's frames reached the WAL before its sync failed; SQLite's recovery takes
      // them when the disk kept them (docs/FORMAT.md §8, "A disk that fails to sync").
      assert.ok([20, 30].includes(ledger.size), `the refused batch whole or absent: size ${ledger.size}`);
      assert.equal(ledger.latestCheckpoint().checkpoint.size, ledger.size, "covered by its own checkpoint");
      await assertVerifies(ledger);
      const next = await ledger.append(agentDraft(0, { stream: "refused" }));
      assert.equal(next.seq, ledger.size === 31 ? 11 : 1, "the chain goes on from what recovery found");
      console.log(
        `  after the kill: ${ledger.size - 1} records (the refused batch ${
          ledger.size === 31 ? "back" : "absent"
        })`,
      );
    } finally {
      ledger.close();
    }
  },
);
