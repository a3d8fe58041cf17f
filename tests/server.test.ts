import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import { openCheckpoint } from "../core/checkpoint.ts";
import { parseCheckpointExtension, verifyCheckpointExtension } from "../core/checkpoint_extension.ts";
import { fromBase64Strict } from "../core/encoding.ts";
import { parseHash } from "../core/hash.ts";
import { parseVerifierKey } from "../core/keys.ts";
import { MerkleHasher } from "../core/merkle_hasher.ts";
import { verifyConsistency, verifyInclusion } from "../core/merkle_verify.ts";
import { receiptFromTlogProof, verifyReceipt } from "../core/receipt.ts";
import { loadToken } from "../server/auth.ts";
import { countParam, flagParam } from "../server/params.ts";
import { checkBindAddress, isLoopbackAddress, isLoopbackHostHeader } from "../server/loopback.ts";
import { agentDraft, removeLedger, tempLedger } from "./_ledger.ts";
import { Intake } from "../server/intake.ts";
import { ServerMetrics } from "../server/metrics.ts";
import { errorCode, post, removeApi, tempApi } from "./_server.ts";
import { codeOfSync } from "./_codes.ts";

Deno.test("server: POST one draft → 201 with a receipt that verifies offline; a batch → results", async () => {
  const api = await tempApi();
  const verifier = await parseVerifierKey(api.deps.writer.verifierKey!);
  const single = await post(api, "/v1/records", agentDraft(0));
  assert.equal(single.status, 201);
  const text = await single.text();
  const result = JSON.parse(text);
  assert.equal(result.index, 0);
  const receiptText = text.slice(text.indexOf(`"receipt":`) + 10, -1);
  const verified = await verifyReceipt(receiptText, [verifier], api.deps.writer.hasher);
  assert.equal(verified.index, result.index);
  assert.equal(verified.record.selfHash, result.selfHash);

  const batch = await post(api, "/v1/records", [agentDraft(1), agentDraft(2), agentDraft(3)]);
  assert.equal(batch.status, 201);
  const { results } = await batch.json();
  assert.deepEqual(results.map((r: { index: number }) => r.index), [1, 2, 3]);
  assert.ok(results.every((r: { checkpointSize: number }) => r.checkpointSize === 4));

  const replay = await post(api, "/v1/records", { ...agentDraft(1), writer_id: results[0].writerId, seq: 1 });
  assert.equal(replay.status, 200, "an identical retry is a replay, not a new record");
  assert.equal((await replay.json()).replayed, true);
  const lean = await post(api, "/v1/records?receipts=none", agentDraft(4));
  assert.equal("receipt" in (await lean.json()), false);
  await removeApi(api);
});

Deno.test("server: the token is generated once (0600) or read from the file given; a malformed or missing one is BAD_TOKEN", () => {
  const dir = Deno.makeTempDirSync({ prefix: "smem-token-" });
  const own = `${dir}/api.token`;
  const first = loadToken(own);
  assert.equal(first.generated, true);
  assert.match(first.token, /^[A-Za-z0-9_-]{43}$/, "32 random bytes, base64url");
  assert.equal(Deno.statSync(own).mode! & 0o777, 0o600);
  assert.deepEqual(loadToken(own), { token: first.token, generated: false });
  const given = `${dir}/given.token`;
  Deno.writeTextFileSync(given, "operator-chosen-token-0123\n");
  assert.deepEqual(loadToken(own, given), { token: "operator-chosen-token-0123", generated: false });
  for (const bad of ["too-short", "a token with spaces in it", 'token-with-a-quote-"-in-it', ""]) {
    Deno.writeTextFileSync(given, bad);
    assert.equal(codeOfSync(() => loadToken(own, given)), "BAD_TOKEN", JSON.stringify(bad));
  }
  assert.equal(codeOfSync(() => loadToken(own, `${dir}/absent.token`)), "BAD_TOKEN");
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("server: writes need the bearer token; reads too with authReads", async () => {
  const api = await tempApi();
  const missing = await post(api, "/v1/records", agentDraft(0), null);
  assert.equal(missing.status, 401);
  assert.equal(await errorCode(missing), "UNAUTHORIZED");
  assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer/);
  for (
    const token of [`${api.deps.token.slice(0, -1)}x`, api.deps.token.slice(0, -1), `${api.deps.token}x`]
  ) {
    assert.equal((await post(api, "/v1/records", agentDraft(0), token)).status, 401, token);
  }
  assert.equal((await post(api, "/v1/verify", "", null)).status, 401);
  assert.equal(api.deps.writer.size, 0, "nothing was appended without the token");
  assert.equal((await api.app.request("/v1/checkpoint")).status, 200, "reads are open by default");
  const mode = (await Deno.stat(api.token.file)).mode! & 0o777;
  assert.equal(mode, 0o600);
  assert.equal(api.token.generated, true);
  await api.close();
  const guarded = await tempApi({ authReads: true });
  assert.equal((await guarded.app.request("/v1/checkpoint")).status, 401);
  assert.equal((await guarded.app.request("/metrics")).status, 401);
  const authorized = await guarded.app.request("/v1/checkpoint", {
    headers: { authorization: `Bearer ${guarded.deps.token}` },
  });
  assert.equal(authorized.status, 200);
  assert.equal((await guarded.app.request("/healthz")).status, 200, "liveness needs no token");
  await removeApi(guarded);
  await Deno.remove(api.dir.replace(/\/ledger$/, ""), { recursive: true });
});

Deno.test("server: bad input gets a precise status and code, and nothing is half-written", async () => {
  const api = await tempApi({ maxBodyBytes: 64 * 1024 });
  await post(api, "/v1/records", agentDraft(0));
  const cases: [unknown, number, string][] = [
    ['{"kind":"A",', 400, "BAD_JSON"],
    ['{"kind":"A","kind":"B"}', 400, "DUPLICATE_KEY"],
    ['{"kind":"A","attrs":{"x":1.5}}', 400, "FLOAT_DISALLOWED"],
    [{ kind: "A", colour: "red" }, 422, "UNKNOWN_FIELD"],
    [{ stream: "s" }, 422, "MISSING_FIELD"],
    [{ kind: 7 }, 422, "BAD_FIELD"],
    [{ kind: "A", attrs: { blob: "x".repeat(2000) } }, 422, "ATTRS_TOO_LARGE"],
    [{ kind: "A", subject: { name: "n".repeat(5000) } }, 422, "RECORD_TOO_LARGE"],
    [[], 422, "EMPTY_BATCH"],
    ["x".repeat(70 * 1024), 413, "BODY_TOO_LARGE"],
    [{ ...agentDraft(0), attrs: { i: 99 }, writer_id: "securamem@local", seq: 1 }, 409, "CONFLICT"],
    [{ ...agentDraft(0), seq: 9 }, 409, "SEQ_GAP"],
  ];
  for (const [body, status, code] of cases) {
    const response = await post(api, "/v1/records", body);
    assert.equal(response.status, status, `${code}: status`);
    assert.equal(await errorCode(response), code);
  }
  const poisoned = await post(api, "/v1/records", [agentDraft(1), agentDraft(2), {
    kind: "A",
    colour: "red",
  }]);
  assert.equal(poisoned.status, 422);
  const error = (await poisoned.json()).error;
  assert.deepEqual([error.code, error.where.item], ["UNKNOWN_FIELD", 2]);
  const wrongType = await api.app.request("/v1/records", {
    method: "POST",
    headers: { authorization: `Bearer ${api.deps.token}`, "content-type": "text/plain" },
    body: "{}",
  });
  assert.equal(wrongType.status, 415);
  assert.equal(api.deps.writer.size, 1, "no refused draft, and no draft of a refused batch, was stored");
  const report = await api.deps.verifier.run();
  assert.equal(report.state, "ok");
  await removeApi(api);
});

Deno.test("server: reads — a record, queries, the checkpoint, inclusion and consistency proofs that verify", async () => {
  const api = await tempApi();
  await post(api, "/v1/records", Array.from({ length: 5 }, (_, i) => agentDraft(i)));
  await post(api, "/v1/records", Array.from({ length: 6 }, (_, i) => agentDraft(5 + i)));
  const verifier = await parseVerifierKey(api.deps.writer.verifierKey!);
  const mh = new MerkleHasher(api.deps.writer.hasher);

  const one = await (await api.app.request("/v1/records/3")).json();
  assert.equal(one.index, 3);
  assert.equal(one.record.attrs.i, 3);
  const missing = await api.app.request("/v1/records/99");
  assert.deepEqual([missing.status, await errorCode(missing)], [404, "NOT_FOUND"]);
  const bad = await api.app.request("/v1/records/-1");
  assert.deepEqual([bad.status, await errorCode(bad)], [400, "BAD_PARAM"]);

  const page1 = await (await api.app.request("/v1/records?stream=agent&limit=2")).json();
  assert.deepEqual(page1.records.map((r: { index: number }) => r.index), [0, 2]);
  const page2 = await (await api.app.request(`/v1/records?stream=agent&limit=10&after=${page1.next}`)).json();
  assert.deepEqual(page2.records.map((r: { index: number }) => r.index), [4, 6, 8, 10]);
  assert.equal(page2.next, undefined);
  const byActor = await (await api.app.request("/v1/records?actor=u-1&kind=ModelInvoked")).json();
  assert.deepEqual(byActor.records.map((r: { index: number }) => r.index), [1]);
  assert.equal((await api.app.request("/v1/records?limit=abc")).status, 400);
  const indexes = async (query: string) =>
    (await (await api.app.request(`/v1/records?${query}`)).json()).records.map((r: { index: number }) =>
      r.index
    );
  const ts = (await (await api.app.request("/v1/records/5")).json()).record.ts_ms;
  assert.deepEqual(await indexes(`until=${ts}&limit=100`), [0, 1, 2, 3, 4], "until is exclusive");
  assert.deepEqual(await indexes("writer=nobody"), []);
  assert.deepEqual(await indexes("writer=securamem%40local&from=9"), [9, 10]);
  assert.deepEqual(await indexes("subject=m-1&from=9"), [9, 10]);
  assert.deepEqual(await indexes("subject=m-2"), []);

  const note = await (await api.app.request("/v1/checkpoint")).text();
  const latest = await openCheckpoint(note, [verifier], api.deps.reader.meta.origin);
  assert.equal(latest.checkpoint.size, 11);
  const old = await (await api.app.request("/v1/checkpoint?size=5")).text();
  const early = await openCheckpoint(old, [verifier]);
  assert.equal((await api.app.request("/v1/checkpoint?size=7")).status, 404, "no checkpoint signs size 7");

  for (const idx of [0, 4, 10]) {
    const proof = await (await api.app.request(`/v1/proof/inclusion?idx=${idx}`)).json();
    assert.equal(proof.size, 11);
    const hashes = proof.proof.map((p: string) => fromBase64Strict(p)!);
    const leaf = mh.leaf(parseHash(proof.self_hash).digest);
    verifyInclusion(mh, idx, 11, leaf, hashes, latest.checkpoint.root);
    hashes[0][0] ^= 1;
    assert.equal(
      codeOfSync(() => verifyInclusion(mh, idx, 11, leaf, hashes, latest.checkpoint.root)),
      "ROOT_MISMATCH",
    );
  }
  const outOfRange = await api.app.request("/v1/proof/inclusion?idx=11");
  assert.deepEqual([outOfRange.status, await errorCode(outOfRange)], [400, "INDEX_OUT_OF_RANGE"]);
  assert.equal(await errorCode(await api.app.request("/v1/proof/inclusion")), "BAD_PARAM");

  const consistency = await (await api.app.request("/v1/proof/consistency?from=5")).json();
  assert.equal(consistency.to, 11);
  verifyConsistency(
    mh,
    5,
    11,
    early.checkpoint.root,
    latest.checkpoint.root,
    consistency.proof.map((p: string) => fromBase64Strict(p)!),
  );
  const backwards = await api.app.request("/v1/proof/consistency?from=11&to=5");
  assert.deepEqual([backwards.status, await errorCode(backwards)], [400, "SIZE_OUT_OF_RANGE"]);

  const extension = await (await api.app.request("/v1/checkpoint?since=5")).text();
  assert.ok(extension.startsWith("old 5\n") && extension.endsWith(`\n\n${note}`), extension);
  const verified = await verifyCheckpointExtension(old, parseCheckpointExtension(extension), [verifier], mh);
  assert.deepEqual([verified.previous.checkpoint.size, verified.current.checkpoint.size], [5, 11]);
  const toFive = await (await api.app.request("/v1/checkpoint?since=0&size=5")).text();
  assert.ok(toFive.startsWith("old 0\n\n") && toFive.endsWith(old), toFive);
  const beyond = await api.app.request("/v1/checkpoint?since=12");
  assert.deepEqual([beyond.status, await errorCode(beyond)], [400, "SIZE_OUT_OF_RANGE"]);
  assert.equal(await errorCode(await api.app.request("/v1/checkpoint?since=-1")), "BAD_PARAM");
  await removeApi(api);
});

Deno.test("server: receipts of stored records — one, as JSON or tlog-proof, or a range built as a batch — verify offline", async () => {
  const api = await tempApi();
  await post(api, "/v1/records?receipts=none", Array.from({ length: 40 }, (_, i) => agentDraft(i)));
  await post(api, "/v1/records?receipts=none", Array.from({ length: 30 }, (_, i) => agentDraft(40 + i)));
  const verifier = await parseVerifierKey(api.deps.writer.verifierKey!);
  const hasher = api.deps.writer.hasher;

  const one = await api.app.request("/v1/receipts/7");
  assert.equal(one.headers.get("content-type"), "application/json");
  const oneText = await one.text();
  assert.equal(oneText, api.deps.reader.receipt(7), "the ledger's receipt, byte for byte");
  const verified = await verifyReceipt(oneText, [verifier], hasher);
  assert.deepEqual([verified.index, verified.checkpoint.checkpoint.size], [7, 70]);
  const early = await verifyReceipt(await (await api.app.request("/v1/receipts/7?size=40")).text(), [
    verifier,
  ], hasher);
  assert.equal(early.checkpoint.checkpoint.size, 40);
  const tlog = await (await api.app.request("/v1/receipts/7?format=tlog-proof")).text();
  assert.equal((await verifyReceipt(receiptFromTlogProof(tlog), [verifier], hasher)).index, 7);

  const range = await (await api.app.request("/v1/receipts?from=30&to=75")).json();
  assert.deepEqual(
    [range.size, range.from, range.to, range.receipts.length],
    [70, 30, 70, 40],
    "clamped to the size",
  );
  for (const [i, receipt] of range.receipts.entries()) {
    assert.equal((await verifyReceipt(JSON.stringify(receipt), [verifier], hasher)).index, 30 + i);
  }
  const defaults = await (await api.app.request("/v1/receipts?from=0&size=40")).json();
  assert.deepEqual(
    defaults.receipts.map((receipt: unknown) => JSON.stringify(receipt)),
    Array.from({ length: 40 }, (_, i) => api.deps.reader.receipt(i, 40)),
    "from 0 to the default of 100, clamped to the checkpoint of 40: the ledger's receipts",
  );

  const refusals: [string, number, string][] = [
    ["/v1/receipts/70", 400, "INDEX_OUT_OF_RANGE"],
    ["/v1/receipts/50?size=40", 400, "INDEX_OUT_OF_RANGE"],
    ["/v1/receipts/7?size=5", 404, "NOT_FOUND"],
    ["/v1/receipts/7?format=xml", 400, "BAD_PARAM"],
    ["/v1/receipts/7?cosigned=maybe", 400, "BAD_PARAM"],
    ["/v1/receipts/7?cosigned=1", 404, "NOT_FOUND"],
    ["/v1/receipts/x", 400, "BAD_PARAM"],
    ["/v1/receipts", 400, "BAD_PARAM"],
    ["/v1/receipts?from=70", 400, "INDEX_OUT_OF_RANGE"],
    ["/v1/receipts?from=5&to=5", 400, "BAD_PARAM"],
  ];
  for (const [path, status, code] of refusals) {
    const response = await api.app.request(path);
    assert.deepEqual([response.status, await errorCode(response)], [status, code], path);
  }
  await post(api, "/v1/records?receipts=none", Array.from({ length: 1000 }, (_, i) => agentDraft(70 + i)));
  const most = await (await api.app.request("/v1/receipts?from=70&to=1070")).json();
  assert.deepEqual([most.receipts.length, most.receipts[999].index], [1000, 1069]);
  const over = await api.app.request("/v1/receipts?from=69&to=1070");
  assert.deepEqual([over.status, await errorCode(over)], [400, "BAD_PARAM"], "1,001 receipts");
  await removeApi(api);
});

Deno.test("server: drops are counted by reason; a media type is matched case-insensitively, parameters aside", async () => {
  const api = await tempApi({ queueCapacity: 4 });
  const spelled = await api.app.request("/v1/records", {
    method: "POST",
    headers: {
      authorization: `Bearer ${api.deps.token}`,
      "content-type": " Application/JSON ; charset=utf-8",
    },
    body: JSON.stringify(agentDraft(0)),
  });
  assert.equal(spelled.status, 201);
  assert.equal((await post(api, "/v1/records", { ...agentDraft(1), seq: 9 })).status, 409);
  assert.equal(
    (await post(api, "/v1/records", Array.from({ length: 5 }, (_, i) => agentDraft(i)))).status,
    413,
  );
  const text = await (await api.app.request("/metrics")).text();
  assert.match(text, /\naudit_drop_total\{reason="conflict"\} 1\n/);
  assert.match(text, /\naudit_drop_total\{reason="invalid"\} 5\n/, "a batch over the capacity: five drafts");
  await removeApi(api);
});

Deno.test("intake: drafts in flight up to the capacity exactly; a locked ledger's refusal counts as ledger_busy", async () => {
  const ledger = await tempLedger({ busyTimeoutMs: 50 });
  const metrics = new ServerMetrics({ queueDepth: () => 0, logSize: () => 0, witnessSizes: () => [] });
  const intake = new Intake(ledger, 4, metrics);
  try {
    const first = intake.submit([agentDraft(0), agentDraft(1), agentDraft(2)]);
    assert.equal(intake.depth, 3, "in flight from the call on");
    await assert.rejects(intake.submit([agentDraft(3), agentDraft(4)]), { code: "BACKPRESSURE" });
    const fills = intake.submit([agentDraft(3)]);
    assert.equal(intake.depth, 4);
    await Promise.all([first, fills]);
    const holder = new DatabaseSync(`${ledger.paths.dir}/ledger.db`);
    holder.exec("BEGIN IMMEDIATE");
    try {
      await assert.rejects(intake.submit([agentDraft(4)]), { code: "LOCKED" });
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
    const text = await metrics.text();
    assert.match(text, /\naudit_drop_total\{reason="ledger_busy"\} 1\n/);
    assert.match(text, /\naudit_drop_total\{reason="audit_backpressure"\} 2\n/);
    assert.match(text, /\nbusy_rejections_total 2\n/);
  } finally {
    await removeLedger(ledger);
  }
});

Deno.test("server: metrics count appends, bytes, drops, checkpoints and latency; labels are capped", async () => {
  const api = await tempApi();
  await post(api, "/v1/records", [agentDraft(0), agentDraft(1), agentDraft(2)]);
  await post(api, "/v1/records", '{"kind":"A",');
  await new Promise((resolve) => setTimeout(resolve, 0));
  const text = await (await api.app.request("/metrics")).text();
  const value = (series: string) => {
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  assert.equal(value('audit_appended_total{stream="agent",kind="PromptReceived"}'), 1);
  assert.equal(value('audit_appended_total{stream="tools",kind="ModelInvoked"}'), 1);
  const stored = [0, 1, 2].reduce(
    (sum, i) => sum + new TextEncoder().encode(api.deps.reader.record(i).text).length,
    0,
  );
  assert.equal(value("audit_bytes_total"), stored);
  assert.equal(value("audit_checkpoints_total"), 1);
  assert.equal(value("audit_append_latency_seconds_count"), 1);
  assert.equal(value('audit_drop_total{reason="audit_backpressure"}'), 0);
  assert.equal(value("audit_queue_depth"), 0);
  assert.equal(value("busy_rejections_total"), 0);
  assert.equal(value("audit_verify_fail_total"), 0);
  for (let i = 0; i < 1100; i++) {
    api.deps.metrics.observeCommit({
      records: [{ stream: `s${i}`, kind: "K", bytes: 1 }],
      sealedInWorker: 0,
    });
  }
  const capped = await (await api.app.request("/metrics")).text();
  const series = capped.split("\n").filter((l) => l.startsWith("audit_appended_total{")).length;
  assert.equal(series, 1001, "1000 label pairs, then one _other");
  assert.match(capped, /audit_appended_total\{stream="_other",kind="_other"\} 10[0-9]/);
  await removeApi(api);
});

Deno.test("server: a full intake sheds with 503 + Retry-After; everything acknowledged is stored", async () => {
  const api = await tempApi({ queueCapacity: 8 });
  const responses = await Promise.all(
    Array.from(
      { length: 40 },
      (_, i) => post(api, "/v1/records?receipts=none", [agentDraft(2 * i), agentDraft(2 * i + 1)]),
    ),
  );
  const shed = responses.filter((r) => r.status === 503);
  const accepted = responses.filter((r) => r.status === 201);
  assert.equal(shed.length + accepted.length, 40);
  assert.ok(shed.length > 0, "some requests were shed");
  assert.equal(shed[0].headers.get("retry-after"), "1");
  assert.equal(await errorCode(shed[0]), "BACKPRESSURE");
  const acknowledged = (await Promise.all(accepted.map((r) => r.json()))).flatMap((b) => b.results);
  for (const result of acknowledged) {
    assert.equal(api.deps.reader.record(result.index).selfHash, result.selfHash);
  }
  assert.equal(api.deps.reader.latestCheckpoint().checkpoint.size, acknowledged.length);
  const text = await (await api.app.request("/metrics")).text();
  assert.match(text, new RegExp(`audit_drop_total\\{reason="audit_backpressure"\\} ${2 * shed.length}\\n`));
  assert.match(text, new RegExp(`busy_rejections_total ${shed.length}\\n`));
  const batchTooLarge = await post(api, "/v1/records", Array.from({ length: 9 }, (_, i) => agentDraft(i)));
  assert.deepEqual([batchTooLarge.status, await errorCode(batchTooLarge)], [413, "BATCH_TOO_LARGE"]);
  await removeApi(api);
});

Deno.test("server: healthz, readyz, and refusal after shutdown began", async () => {
  const api = await tempApi();
  assert.deepEqual(await (await api.app.request("/healthz")).json(), { ok: true });
  const ready = await api.app.request("/readyz");
  assert.equal(ready.status, 200);
  assert.deepEqual((await ready.json()).checks, {
    config: true,
    intake_open: true,
    queue_bounded: true,
    database_writable: true,
    key_loaded: true,
    disk_has_room: true,
    disk_syncs: true,
  });
  const closing = api.deps.intake.close();
  await closing;
  const late = await post(api, "/v1/records", agentDraft(0));
  assert.deepEqual([late.status, await errorCode(late)], [503, "SHUTTING_DOWN"]);
  const notReady = await api.app.request("/readyz");
  assert.equal(notReady.status, 503);
  assert.equal((await notReady.json()).checks.intake_open, false);
  await removeApi(api);
});

Deno.test("server: verify reports an intact ledger, then the tampered leaf; the failure is counted", async () => {
  const api = await tempApi();
  await post(api, "/v1/records", Array.from({ length: 4 }, (_, i) => agentDraft(i)));
  const intact = await (await post(api, "/v1/verify", "")).json();
  assert.equal(intact.state, "ok");
  assert.equal(intact.recordsChecked, 4);
  const db = new DatabaseSync(`${api.dir}/ledger.db`);
  // Leaf 2 is in `records` or still in the unindexed tail, `recent`: the attacker changes it wherever it is.
  for (const table of ["records", "recent"]) {
    const guard = (db.prepare(`SELECT sql FROM sqlite_master WHERE name = '${table}_no_update'`).get() as {
      sql: string;
    }).sql;
    db.exec(`DROP TRIGGER ${table}_no_update`);
    db.exec(
      `UPDATE ${table} SET body = CAST(replace(CAST(body AS TEXT), 'u-2', 'u-9') AS BLOB) WHERE leaf = 2`,
    );
    db.exec(guard); // the attacker covers their tracks
  }
  db.close();
  const tampered = await (await post(api, "/v1/verify", "")).json();
  assert.equal(tampered.state, "failed");
  assert.equal(tampered.failure.code, "HASH_MISMATCH");
  assert.equal(tampered.failure.where.leafIndex, 2);
  assert.equal((await (await api.app.request("/v1/status")).json()).verify.state, "failed");
  assert.match(await (await api.app.request("/metrics")).text(), /audit_verify_fail_total 1\n/);
  await removeApi(api);
});

Deno.test("server: only loopback hosts — bind addresses and Host headers", async () => {
  for (const host of ["127.0.0.1", "127.8.9.10", "::1", "[::1]"]) {
    assert.equal(isLoopbackAddress(host), true, host);
  }
  for (
    const host of [
      "0.0.0.0",
      "::",
      "10.0.0.1",
      "192.168.1.1",
      "localhost",
      "127.0.0.256",
      "127.1",
      "127.0.0.01",
    ]
  ) {
    assert.equal(codeOfSync(() => checkBindAddress(host)), "NOT_LOOPBACK", host);
  }
  fc.assert(
    fc.property(fc.ipV4(), (ip) => isLoopbackAddress(ip) === ip.startsWith("127.")),
  );
  fc.assert(
    fc.property(
      fc.domain(),
      fc.nat(65535),
      (domain, port) => isLoopbackHostHeader(`${domain}:${port}`) === (domain === "localhost"),
    ),
  );
  for (const header of ["localhost", "LOCALHOST:8787", "127.0.0.1:1", "[::1]:8787"]) {
    assert.equal(isLoopbackHostHeader(header), true, header);
  }
  for (const header of [undefined, "", "evil.com", "127.0.0.1.evil.com", "[::2]:80", "0.0.0.0:8787"]) {
    assert.equal(isLoopbackHostHeader(header), false, String(header));
  }
  const api = await tempApi();
  const rebound = await api.app.request("http://attacker.example/v1/status");
  assert.deepEqual([rebound.status, await errorCode(rebound)], [403, "FORBIDDEN_HOST"]);
  await removeApi(api);
});

Deno.test("server: the dashboard page, its script and style are served under a same-origin CSP", async () => {
  const api = await tempApi();
  const page = await api.app.request("/");
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script type="module" src="\/dashboard.js">/);
  assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'self'/);
  assert.match((await api.app.request("/dashboard.js")).headers.get("content-type")!, /javascript/);
  assert.match((await api.app.request("/dashboard.css")).headers.get("content-type")!, /text\/css/);
  const status = await (await api.app.request("/v1/status")).json();
  assert.deepEqual([status.size, status.queue.capacity, status.verify.state], [0, 10_000, "never"]);
  const missing = await api.app.request("/nope");
  assert.deepEqual([missing.status, await errorCode(missing)], [404, "NOT_FOUND"]);
  await removeApi(api);
});

Deno.test("server: query parameters — empty is absent, counts are decimal digits, flags are 1/0", () => {
  assert.equal(countParam("", "limit"), undefined);
  assert.equal(countParam(undefined, "limit"), undefined);
  assert.equal(countParam("0", "limit"), 0);
  assert.equal(countParam("9007199254740991", "to"), Number.MAX_SAFE_INTEGER);
  for (const bad of ["9007199254740992", "-1", "1.0", "1e3", " 1", "0x10", "abc"]) {
    assert.equal(codeOfSync(() => countParam(bad, "to")), "BAD_PARAM", bad);
  }
  for (const value of [undefined, "0"]) assert.equal(flagParam(value, "cosigned"), false, String(value));
  for (const value of ["", "1", "true"]) assert.equal(flagParam(value, "cosigned"), true, value);
  for (const bad of ["yes", "false", "2"]) {
    assert.equal(codeOfSync(() => flagParam(bad, "cosigned")), "BAD_PARAM");
  }
});

Deno.test("server: a parameter an endpoint does not take, or one given twice, is BAD_PARAM; nothing widens or is written", async () => {
  const api = await tempApi();
  await post(api, "/v1/records", Array.from({ length: 3 }, (_, i) => agentDraft(i)));
  const refused: [string, string, string][] = [
    ["/v1/records?strem=agent", "strem", "unknown parameter"],
    ["/v1/records?stream=agent&stream=tools", "stream", "stream is given 2 times"],
    ["/v1/records/1?size=2", "size", "this endpoint takes none"],
    ["/v1/checkpoint?sice=1", "sice", "this endpoint takes size, since"],
    ["/v1/proof/inclusion?idx=1&index=2", "index", "unknown parameter"],
    ["/v1/proof/consistency?from=1&size=2", "size", "unknown parameter"],
    ["/v1/receipts/1?formt=tlog-proof", "formt", "unknown parameter"],
    ["/v1/receipts?from=0&limit=2", "limit", "unknown parameter"],
    ["/v1/cosignatures?sizes=2", "sizes", "unknown parameter"],
  ];
  for (const [path, name, says] of refused) {
    const response = await api.app.request(path);
    assert.equal(response.status, 400, path);
    const { error } = await response.json();
    assert.deepEqual([error.code, error.where.path], ["BAD_PARAM", name], path);
    assert.ok(error.message.includes(says), `${path}: ${error.message}`);
  }
  const write = await post(api, "/v1/records?receipt=none", agentDraft(3));
  assert.deepEqual([write.status, await errorCode(write)], [400, "BAD_PARAM"]);
  assert.equal(api.deps.writer.size, 3, "a write with a misspelt parameter stores nothing");
  const taken = await api.app.request("/v1/records?stream=agent&limit=5");
  assert.equal((await taken.json()).records.length, 2, "the parameters an endpoint takes still filter");
  await removeApi(api);
});
