/**
 * `smem serve` as users run it: a subprocess with exactly `deno task serve`'s permissions
 * (network to one loopback port, read/write of the ledger directory, everything else denied),
 * talked to over real loopback HTTP, and stopped by a signal under load.
 */
import assert from "node:assert/strict";
import { parseVerifierKey } from "../core/keys.ts";
import { Ledger } from "../ledger/ledger.ts";
import { Witness } from "../ledger/witness.ts";
import { verifyLedger } from "../ledger/verify.ts";
import { agentDraft, assertVerifies } from "./_ledger.ts";
import { freePort, serve, type Served, serverCommand } from "./_serve_process.ts";

async function newLedger(): Promise<{ root: string; dir: string }> {
  const root = await Deno.makeTempDir({ prefix: "smem-serve-" });
  (await Ledger.create(`${root}/ledger`)).close();
  return { root, dir: `${root}/ledger` };
}

async function logVerifierKey(dir: string): Promise<string> {
  const ledger = await Ledger.open(dir);
  try {
    return ledger.verifierKey!;
  } finally {
    ledger.close();
  }
}

function postDrafts(served: Served, body: unknown): Promise<Response> {
  return fetch(`${served.url}/v1/records?receipts=none`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${served.token}` },
    body: JSON.stringify(body),
  });
}

Deno.test("serve: refuses a non-loopback address (exit 2) and runs only with its network permission (exit 3)", async () => {
  const { root, dir } = await newLedger();
  const exposed = await serverCommand(root, ["serve", "--dir", dir, "--host", "0.0.0.0"], ["--allow-net"])
    .output();
  assert.equal(exposed.code, 2);
  assert.match(new TextDecoder().decode(exposed.stderr), /NOT_LOOPBACK: refusing to listen on "0\.0\.0\.0"/);
  const port = freePort();
  const denied = await serverCommand(root, ["serve", "--dir", dir, "--port", String(port)], ["--deny-net"])
    .output();
  assert.equal(denied.code, 3);
  assert.match(new TextDecoder().decode(denied.stderr), /PERMISSION_DENIED.*--allow-net/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("serve: over loopback — token file 0600, append, read back, metrics, dashboard, a witness's answer", async () => {
  const { root, dir } = await newLedger();
  const witness = await Witness.create(`${root}/witness`, "witness.example/w1");
  await Deno.writeTextFile(`${root}/witness.key`, witness.verifierKey);
  const served = await serve(root, dir, ["--witness", `${root}/witness.key`]);
  assert.equal((await Deno.stat(`${dir}/api.token`)).mode! & 0o777, 0o600);
  const appended = await postDrafts(served, [agentDraft(0), agentDraft(1)]);
  assert.equal(appended.status, 201);
  const { results } = await appended.json();
  const record = await (await fetch(`${served.url}/v1/records/${results[1].index}`)).json();
  assert.equal(record.record.self_hash, results[1].selfHash);
  const metrics = await (await fetch(`${served.url}/metrics`)).text();
  assert.match(metrics, /audit_appended_total\{stream="tools",kind="ModelInvoked"\} 1/);
  const page = await fetch(`${served.url}/`);
  assert.match(await page.text(), /<title>SecuraMem<\/title>/);
  const unauthorized = await fetch(`${served.url}/v1/records`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(unauthorized.status, 401);
  await unauthorized.body?.cancel();
  const logKeys = [await parseVerifierKey(await logVerifierKey(dir))];
  const request = await (await fetch(`${served.url}/v1/checkpoint?since=0`)).text();
  const kept = await fetch(`${served.url}/v1/cosignatures`, {
    method: "POST",
    headers: { "content-type": "text/plain", authorization: `Bearer ${served.token}` },
    body: (await witness.addCheckpoint(request, logKeys)).extension,
  });
  assert.equal(kept.status, 201, await kept.clone().text());
  assert.deepEqual((await kept.json()).cosignatures.map((c: { size: number }) => c.size), [2]);
  served.child.kill("SIGINT");
  const status = await served.child.status;
  assert.equal(status.code, 0);
  assert.deepEqual(JSON.parse(await served.output), { stopped: "SIGINT", size: 2 });
  await Deno.remove(root, { recursive: true });
});

Deno.test("serve: an encrypted signer key is opened with SMEM_PASSPHRASE before listening, or serve exits 2", async () => {
  const root = await Deno.makeTempDir({ prefix: "smem-serve-" });
  const dir = `${root}/ledger`;
  const encryption = { passphrase: "serve pass", workFactor: 10 };
  (await Ledger.create(dir, { encryptKey: encryption })).close();
  const port = freePort();
  const locked = await serverCommand(root, ["serve", "--dir", dir, "--port", String(port)], [
    `--allow-net=127.0.0.1:${port}`,
  ]).output();
  assert.equal(locked.code, 2);
  assert.match(new TextDecoder().decode(locked.stderr), /PASSPHRASE_REQUIRED: .*signer\.key is encrypted/);
  const served = await serve(root, dir, [], { SMEM_PASSPHRASE: encryption.passphrase });
  const appended = await postDrafts(served, [agentDraft(0)]);
  assert.equal(appended.status, 201);
  await appended.body?.cancel();
  served.child.kill("SIGTERM");
  assert.equal((await served.child.status).code, 0);
  assert.deepEqual(JSON.parse(await served.output), { stopped: "SIGTERM", size: 1 });
  const reopened = await Ledger.open(dir);
  assert.equal(reopened.keyLocked, true);
  await assertVerifies(reopened);
  reopened.close();
  await Deno.remove(root, { recursive: true });
});

Deno.test("serve: SIGTERM under load drains, checkpoints and exits 0; nothing acknowledged is lost", async () => {
  const { root, dir } = await newLedger();
  const served = await serve(root, dir);
  const acknowledged: { index: number; selfHash: string }[] = [];
  let refused = 0;
  let stopping = false;
  const client = async (id: number) => {
    for (let n = 0; !stopping || n % 7 !== 0; n++) {
      const drafts = n % 3 === 0
        ? [0, 1, 2, 3].map((k) => agentDraft(k, { stream: `c${id}`, attrs: { n, k } }))
        : [agentDraft(n, { stream: `c${id}`, attrs: { n } })];
      try {
        const response = await postDrafts(served, n % 3 === 0 ? drafts : drafts[0]);
        if (response.status === 201) {
          const body = await response.json();
          acknowledged.push(...(body.results ?? [body]));
        } else {
          assert.equal(response.status, 503, "a request during shutdown is refused, not failed");
          await response.body?.cancel();
          refused++;
        }
      } catch {
        return; // the listener is gone
      }
    }
  };
  const clients = Array.from({ length: 12 }, (_, id) => client(id));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const before = acknowledged.length;
  served.child.kill("SIGTERM");
  stopping = true;
  const status = await served.child.status;
  await Promise.all(clients);
  const stderr = await served.stderr;
  assert.equal(status.code, 0, stderr);
  const stopped = JSON.parse(await served.output);
  assert.ok(before > 50, `the server was under load (${before} records acknowledged before the signal)`);

  const ledger = await Ledger.open(dir);
  for (const ack of acknowledged) assert.equal(ledger.record(ack.index).selfHash, ack.selfHash);
  assert.equal(
    ledger.latestCheckpoint().checkpoint.size,
    ledger.size,
    "the final checkpoint covers every record",
  );
  assert.deepEqual(stopped, { stopped: "SIGTERM", size: ledger.size });
  assert.ok(ledger.size >= acknowledged.length);
  await assertVerifies(ledger);
  ledger.close();
  console.log(
    `  ${acknowledged.length} acknowledged (${before} before SIGTERM), ${refused} refused while draining`,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("serve: SIGKILL under load at 5 random moments loses nothing acknowledged; each restart serves on", async () => {
  const { root, dir } = await newLedger();
  const acknowledged: { index: number; selfHash: string }[] = [];
  let token: string | undefined;
  let seed = 0xc0ffee;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 5; round++) {
    const served = await serve(root, dir);
    token ??= served.token;
    assert.equal(served.token, token, "a restart keeps the token file");
    let acknowledgedThisRound = 0;
    const client = async (id: number) => {
      for (let n = 0;; n++) {
        const batch = n % 4 === 0;
        const drafts = Array.from(
          { length: batch ? 25 : 1 },
          (_, k) => agentDraft(k, { stream: `r${round}c${id}`, attrs: { n, k } }),
        );
        try {
          // Receipts on odd clients: the kill may land while a response is being built.
          const response = await fetch(`${served.url}/v1/records${id % 2 === 0 ? "?receipts=none" : ""}`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${served.token}` },
            body: JSON.stringify(batch ? drafts : drafts[0]),
          });
          assert.equal(response.status, 201);
          const body = await response.json();
          const results = body.results ?? [body];
          acknowledged.push(
            ...results.map(({ index, selfHash }: { index: number; selfHash: string }) => ({
              index,
              selfHash,
            })),
          );
          acknowledgedThisRound += results.length;
        } catch (error) {
          if (error instanceof assert.AssertionError) throw error;
          return; // the server is gone
        }
      }
    };
    const clients = Array.from({ length: 6 }, (_, id) => client(id));
    await new Promise((resolve) => setTimeout(resolve, 300 + random() * 600));
    served.child.kill("SIGKILL");
    assert.equal((await served.child.status).signal, "SIGKILL");
    await Promise.all(clients);
    await served.stderr;
    assert.ok(acknowledgedThisRound > 0, `round ${round}: nothing was acknowledged before the kill`);

    const ledger = await Ledger.open(dir);
    for (const ack of acknowledged) {
      assert.equal(
        ledger.record(ack.index).selfHash,
        ack.selfHash,
        `round ${round}: acknowledged leaf ${ack.index} lost`,
      );
    }
    const report = await verifyLedger(ledger);
    assert.equal(report.ok, true, `round ${round}: ${report.failure?.message}`);
    ledger.close();
  }
  console.log(`  ${acknowledged.length} acknowledged over 5 kills`);
  await Deno.remove(root, { recursive: true });
});
