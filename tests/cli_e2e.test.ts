/**
 * The CLI as users run it: a subprocess with exactly the binary's permissions (read and write of
 * one directory, everything else denied, no prompts), walking the whole evidence lifecycle.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Ledger } from "../ledger/ledger.ts";
import { expectExit, type Run, runSmem } from "./_smem.ts";

const TRACE = new URL("../vectors/sample-trace.ndjson", import.meta.url).pathname;
const root = await Deno.makeTempDir({ prefix: "smem-e2e-" });
const dir = `${root}/ledger`;

function smem(args: string[], options: { stdin?: string; allow?: string[] } = {}): Promise<Run> {
  const allow = options.allow ?? [`--allow-read=${root}`, `--allow-write=${root}`];
  return runSmem([...args, "--dir", dir], { stdin: options.stdin, allow });
}

const trace = await Deno.readTextFile(TRACE);
await Deno.writeTextFile(`${root}/trace.ndjson`, trace);

Deno.test("cli: init, append, ingest, query, show, checkpoint, prove, verify", async () => {
  expectExit(await smem(["status"]), 3, "status before init (missing ledger)");
  const init = await smem(["init", "--name", "e2e.example", "--json"]);
  expectExit(init, 0, "init");
  const { verifier_key } = JSON.parse(init.stdout);
  await Deno.writeTextFile(`${root}/verifier.key`, `${verifier_key}\n`);
  expectExit(await smem(["init"]), 2, "init over an existing ledger");

  const one = await smem(["append", "--kind", "ModelInvoked", "--actor", '{"user_id":"alice"}', "--json"]);
  expectExit(one, 0, "append from flags");
  assert.equal(JSON.parse(one.stdout).index, 0);
  const two = await smem(["append", "--json"], {
    stdin: `{"kind":"ToolCalled","subject":{"tool":"search"}}`,
  });
  expectExit(two, 0, "append from stdin");
  assert.equal(JSON.parse(two.stdout).seq, 2);
  expectExit(await smem(["append", "--kind", "K", "--attrs", '{"x":1.5}']), 2, "a float in attrs");

  const ingest = await smem(["ingest", `${root}/trace.ndjson`, "--json"]);
  expectExit(ingest, 0, "ingest");
  assert.equal(JSON.parse(ingest.stdout).appended, 10);
  const replay = await smem(["ingest", `${root}/trace.ndjson`, "--json"]);
  expectExit(replay, 0, "re-ingest");
  assert.deepEqual([JSON.parse(replay.stdout).appended, JSON.parse(replay.stdout).replayed], [0, 10]);
  const replayText = await smem(["ingest", `${root}/trace.ndjson`]);
  assert.equal(replayText.stdout, "10 lines: 0 appended, 10 replayed\n", "leaves name appended records only");
  await Deno.writeTextFile(`${root}/empty.ndjson`, "\n");
  const empty = await smem(["ingest", `${root}/empty.ndjson`]);
  assert.equal(empty.stdout, "0 lines: 0 appended, 0 replayed\n", "no leaves to name");

  const log = await smem(["log", "--kind", "ToolCalled", "--json"]);
  expectExit(log, 0, "log");
  assert.equal(JSON.parse(log.stdout).records.length, 4);
  const show = await smem(["show", "4", "--json"]);
  expectExit(show, 0, "show");
  const byHash = await smem(["show", JSON.parse(show.stdout).self_hash, "--json"]);
  assert.equal(JSON.parse(byHash.stdout).index, 4);

  const cp = await smem(["checkpoint"]);
  expectExit(cp, 0, "checkpoint");
  assert.match(cp.stdout, /^e2e\.example\/[0-9a-f]{16}\n12\n/);
  expectExit(await smem(["prove", "3", "--size", "12"]), 0, "prove");
  expectExit(await smem(["prove", "--consistency", "5", "12"]), 0, "prove consistency");
  expectExit(await smem(["prove", "12"]), 2, "prove beyond the log");
  const verify = await smem(["verify", "--json"]);
  expectExit(verify, 0, "verify");
  assert.equal(JSON.parse(verify.stdout).records_checked, 12);
  const range = await smem(["verify", "--range", "4:9", "--json"]);
  expectExit(range, 0, "verify --range");
  assert.equal(JSON.parse(range.stdout).records_checked, 5);
  expectExit(await smem(["verify", "--range", "4"]), 2, "a malformed range");
  expectExit(await smem(["verify", "--range", "4:99"]), 1, "a range beyond the log");
  expectExit(await smem(["verify", "--range", "9:4"]), 2, "a range that ends before it starts");
  for (const [command, flag] of [["verify", "--workers"], ["ingest", "--batch"]]) {
    const none = await smem([command, flag, "0"]);
    expectExit(none, 2, `${command} ${flag} 0`);
    assert.equal(none.stderr, `smem: USAGE: ${flag} must be at least 1\n`);
  }
  // After the checkpoint of the two appends: the trace's ten records, in its two chains.
  const fromCheckpoint = await smem(["verify", "--from-checkpoint", "2", "--json"]);
  expectExit(fromCheckpoint, 0, "verify --from-checkpoint");
  assert.deepEqual(
    [JSON.parse(fromCheckpoint.stdout).records_checked, JSON.parse(fromCheckpoint.stdout).chains],
    [10, 2],
  );
});

Deno.test("cli: receipts and bundles verify offline; tampering exits 1 with the location", async () => {
  expectExit(await smem(["receipt", "7", "--out", `${root}/r.json`]), 0, "receipt");
  expectExit(
    await smem(["verify-receipt", `${root}/r.json`, "--key", `${root}/verifier.key`]),
    0,
    "verify-receipt",
  );
  const receipt = await Deno.readTextFile(`${root}/r.json`);
  await Deno.writeTextFile(
    `${root}/bad.json`,
    receipt.replace(/"seq":(\d+)/, (_, n) => `"seq":${Number(n) + 1}`),
  );
  const bad = await smem(["verify-receipt", `${root}/bad.json`, "--key", `${root}/verifier.key`]);
  expectExit(bad, 1, "tampered receipt");
  assert.match(bad.stderr, /HASH_MISMATCH/);
  const key = await Deno.readTextFile(`${root}/verifier.key`);
  const badKeyFiles: [string, string][] = [
    ["", "BAD_KEY"],
    [`${key}rotation {not json\n`, "BAD_ROTATION"],
    [`${key}rotation 5\n`, "BAD_ROTATION"],
    [`${key}rotation "not a statement"\n`, "BAD_ROTATION"],
  ];
  for (const [text, code] of badKeyFiles) {
    await Deno.writeTextFile(`${root}/bad.key`, text);
    const refused = await smem(["verify-receipt", `${root}/r.json`, "--key", `${root}/bad.key`, "--json"]);
    expectExit(refused, 1, `key file ${JSON.stringify(text.slice(-30))}`);
    assert.equal(JSON.parse(refused.stdout).error.code, code);
  }
  expectExit(await smem(["receipt", "7", "--tlog-proof", "--out", `${root}/r.tlog-proof`]), 0, "tlog-proof");
  expectExit(
    await smem(["verify-receipt", `${root}/r.tlog-proof`, "--key", `${root}/verifier.key`]),
    0,
    "verify tlog-proof",
  );
  await Deno.writeTextFile(
    `${root}/other.key`,
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
  );
  expectExit(await smem(["verify-receipt", `${root}/r.json`, "--key", `${root}/other.key`]), 1, "wrong key");

  expectExit(await smem(["export", "--out", `${root}/e.smemctx`]), 0, "export");
  expectExit(
    await smem(["verify-bundle", `${root}/e.smemctx`, "--key", `${root}/verifier.key`]),
    0,
    "verify-bundle",
  );
  const bundle = await Deno.readTextFile(`${root}/e.smemctx`);
  await Deno.writeTextFile(`${root}/cut.smemctx`, bundle.slice(0, Math.floor(bundle.length / 2)));
  const cut = await smem(["verify-bundle", `${root}/cut.smemctx`, "--key", `${root}/verifier.key`, "--json"]);
  expectExit(cut, 1, "truncated bundle");
  assert.ok(JSON.parse(cut.stdout).error.code.length > 0);
  const bomLine = bundle.indexOf("\nrec ") + 1;
  await Deno.writeTextFile(
    `${root}/bom.smemctx`,
    `${bundle.slice(0, bomLine)}\ufeff${bundle.slice(bomLine)}`,
  );
  const bom = await smem(["verify-bundle", `${root}/bom.smemctx`, "--key", `${root}/verifier.key`, "--json"]);
  expectExit(bom, 1, "a byte-order mark inserted before a record line");
  const bomLineNo = bundle.slice(0, bomLine).split("\n").length;
  assert.equal(JSON.parse(bom.stdout).error.where.line, bomLineNo);
  expectExit(
    await smem(["verify-bundle", `${root}/missing.smemctx`, "--key", `${root}/verifier.key`]),
    3,
    "missing file",
  );
});

Deno.test("cli: a kept checkpoint checks a newer one offline (checkpoint --since, verify-checkpoint)", async () => {
  const keptNote = (await smem(["checkpoint"])).stdout;
  const keptSize = Number(keptNote.split("\n")[1]);
  await Deno.writeTextFile(`${root}/kept.note`, keptNote);
  for (let i = 0; i < 3; i++) expectExit(await smem(["append", "--kind", "Later"]), 0, "append");
  const since = await smem(["checkpoint", "--since", String(keptSize)]);
  expectExit(since, 0, "checkpoint --since");
  assert.match(since.stdout, new RegExp(`^old ${keptSize}\n`));
  await Deno.writeTextFile(`${root}/ext.txt`, since.stdout);
  const check = ["--previous", `${root}/kept.note`, "--key", `${root}/verifier.key`, "--json"];
  const ok = await smem(["verify-checkpoint", `${root}/ext.txt`, ...check]);
  expectExit(ok, 0, "verify-checkpoint");
  assert.deepEqual(
    (({ old_size, new_size, alg }) => ({ old_size, new_size, alg }))(JSON.parse(ok.stdout)),
    { old_size: keptSize, new_size: keptSize + 3, alg: "b3" },
  );
  expectExit(await smem(["verify-checkpoint", "-", ...check], { stdin: since.stdout }), 0, "from stdin");
  const marked = await smem(["verify-checkpoint", "-", ...check], { stdin: `\ufeff${since.stdout}` });
  expectExit(marked, 1, "from stdin, with a byte-order mark before it");

  const proofLine = since.stdout.split("\n")[1];
  const flipped = proofLine.slice(0, 5) + (proofLine[5] === "A" ? "B" : "A") + proofLine.slice(6);
  await Deno.writeTextFile(`${root}/bad-ext.txt`, since.stdout.replace(proofLine, flipped));
  const bad = await smem(["verify-checkpoint", `${root}/bad-ext.txt`, ...check]);
  expectExit(bad, 1, "a changed proof hash");
  assert.equal(JSON.parse(bad.stdout).error.code, "ROOT_MISMATCH");
  const wrongAlg = await smem(["verify-checkpoint", `${root}/ext.txt`, ...check, "--alg", "sha256"]);
  expectExit(wrongAlg, 1, "the other hash algorithm");
  expectExit(
    await smem(["verify-checkpoint", `${root}/ext.txt`, "--key", `${root}/verifier.key`]),
    2,
    "no --previous",
  );

  const advance = await smem(["verify-checkpoint", `${root}/ext.txt`, ...check, "--advance"]);
  expectExit(advance, 0, "--advance");
  assert.equal(JSON.parse(advance.stdout).advanced, true);
  assert.equal(
    await Deno.readTextFile(`${root}/kept.note`),
    since.stdout.slice(since.stdout.indexOf("\n\n") + 2),
  );
  const again = await smem(["verify-checkpoint", `${root}/ext.txt`, ...check]);
  expectExit(again, 1, "the same extension against the advanced checkpoint");
  assert.equal(JSON.parse(again.stdout).error.code, "OLD_SIZE_MISMATCH");
  expectExit(await smem(["checkpoint", "--since", String(keptSize + 100)]), 2, "--since beyond the log");
});

Deno.test("cli: errors have the SPEC §9 exit codes and one line", async () => {
  const unknown = await smem(["verify", "--nope"]);
  expectExit(unknown, 2, "unknown flag");
  assert.equal(unknown.stderr.trim().split("\n").length, 1);
  expectExit(await smem(["frobnicate"]), 2, "unknown command");
  const json = await smem(["show", "999", "--json"]);
  expectExit(json, 2, "no such leaf");
  assert.equal(JSON.parse(json.stdout).error.code, "NOT_FOUND");
  const conflict =
    `{"kind":"ToolCalled","writer_id":"agent-gateway@prod-1","stream":"agent.support","seq":4,"ts_ms":1}`;
  expectExit(await smem(["append"], { stdin: conflict }), 4, "conflicting replay");
  const badLine = `${trace.split("\n").slice(0, 2).join("\n")}\n{"kind":"X","attrs":{"a":1e3}}\n`;
  const ingest = await smem(["ingest", "-"], { stdin: badLine });
  expectExit(ingest, 2, "bad NDJSON line");
  assert.match(ingest.stderr, /FLOAT_DISALLOWED.*line 3/);
  await Deno.writeFile(
    `${root}/latin1.ndjson`,
    new Uint8Array([...new TextEncoder().encode(`{"kind":"A"}\n{"kind":"`), 0xe9, 0x22, 0x7d, 0x0a]),
  );
  const badUtf8 = await smem(["ingest", `${root}/latin1.ndjson`]);
  expectExit(badUtf8, 2, "invalid UTF-8 input");
  assert.match(badUtf8.stderr, /BAD_UTF8.*line 2/);
  const readOnly = await smem(["append", "--kind", "K"], { allow: [`--allow-read=${root}`] });
  expectExit(readOnly, 3, "no write permission");
  assert.match(readOnly.stderr, /permission|READ_ONLY/i);
  expectExit(await smem(["verify"]), 0, "nothing committed was damaged");
});

Deno.test("cli: ingest stores every line before a bad one (invalid UTF-8 included), and none from a refused one on", async () => {
  const size = async () => JSON.parse((await smem(["status", "--json"])).stdout).size as number;
  const draft = (i: number) => JSON.stringify({ kind: "ToolCalled", stream: "pipeline", attrs: { i } });
  const lines = (count: number) => Array.from({ length: count }, (_, i) => draft(i));

  let before = await size();
  const badSixth = [...lines(5), `{"kind":"X","attrs":{"a":1.5}}`, ...lines(3)].join("\n");
  const parsed = await smem(["ingest", "-", "--batch", "2", "--json"], { stdin: badSixth });
  expectExit(parsed, 2, "a bad sixth line");
  assert.equal(JSON.parse(parsed.stdout).error.where.line, 6);
  assert.equal(await size(), before + 5, "lines 1–5 stored: two whole batches and the start of the third");

  before = await size();
  const utf8 = new TextEncoder().encode(lines(3).join("\n") + "\n");
  await Deno.writeFile(`${root}/bad-fourth.ndjson`, new Uint8Array([...utf8, 0xff, 0x0a]));
  const decoded = await smem(["ingest", `${root}/bad-fourth.ndjson`, "--batch", "2", "--json"]);
  expectExit(decoded, 2, "invalid UTF-8 on the fourth line");
  assert.equal(JSON.parse(decoded.stdout).error.code, "BAD_UTF8");
  assert.equal(await size(), before + 3);

  before = await size();
  const conflict =
    `{"kind":"ToolCalled","writer_id":"agent-gateway@prod-1","stream":"agent.support","seq":4,"ts_ms":1}`;
  const refusedThird = [...lines(2), conflict, ...lines(5)].join("\n");
  const refused = await smem(["ingest", "-", "--batch", "2", "--json"], { stdin: refusedThird });
  expectExit(refused, 4, "a conflicting third line");
  assert.equal(JSON.parse(refused.stdout).error.where.line, 3);
  assert.equal(await size(), before + 2, "the first batch only: nothing from the refused line on");
  expectExit(await smem(["verify"]), 0, "verify after the stopped runs");
});

Deno.test("cli: ingest envelopes store their payloads as blobs; a bad envelope is refused at its line and field", async () => {
  const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
  const envelopes = [
    JSON.stringify({ record: { kind: "PromptReceived", stream: "envelopes" }, payload: "What is 2+2? ✓" }),
    JSON.stringify({ record: { kind: "ModelOutput", stream: "envelopes" }, payload_b64: binary.toBase64() }),
  ].join("\n");
  const stored = await smem(["ingest", "-", "--json"], { stdin: envelopes });
  expectExit(stored, 0, "envelopes");
  const { first_index: first } = JSON.parse(stored.stdout);
  const ledger = await Ledger.open(dir);
  try {
    const payloads = [first, first + 1].map((index) => {
      const record = JSON.parse(ledger.record(index).text);
      return ledger.getBlob(record.subject.content_id);
    });
    assert.deepEqual(payloads, [new TextEncoder().encode("What is 2+2? ✓"), binary]);
  } finally {
    ledger.close();
  }

  const size = async () => JSON.parse((await smem(["status", "--json"])).stdout).size as number;
  const before = await size();
  const refusals: [string, string, string][] = [
    [`{"record":{"kind":"A"},"payload_b64":"eQ"}`, "BAD_FIELD", "payload_b64"],
    [`{"record":{"kind":"A"},"payload_b64":"@@@@"}`, "BAD_FIELD", "payload_b64"],
    [`{"record":{"kind":"A"},"payload":"x","payload_b64":"eQ=="}`, "BAD_FIELD", "payload_b64"],
    [`{"record":{"kind":"A"},"payload":5}`, "BAD_FIELD", "payload"],
    [`{"record":{"kind":"A"},"extra":1}`, "UNKNOWN_FIELD", "extra"],
  ];
  for (const [line, code, path] of refusals) {
    const refused = await smem(["ingest", "-", "--json"], { stdin: `{"kind":"A"}\n${line}\n` });
    expectExit(refused, 2, line);
    assert.deepEqual(JSON.parse(refused.stdout).error.where, { path, line: 2 }, line);
    assert.equal(JSON.parse(refused.stdout).error.code, code, line);
  }
  assert.equal(
    await size(),
    before + refusals.length,
    "the good line before each bad one, nothing of the bad ones",
  );
});

Deno.test("cli: a locked database is LOCKED (exit 3) after the busy timeout", async () => {
  const db = new DatabaseSync(`${dir}/ledger.db`);
  db.exec("PRAGMA busy_timeout = 0; BEGIN IMMEDIATE");
  const start = performance.now();
  const locked = await smem(["append", "--kind", "K", "--busy-timeout", "200"]);
  db.exec("ROLLBACK");
  db.close();
  expectExit(locked, 3, "locked");
  assert.match(locked.stderr, /LOCKED/);
  assert.ok(performance.now() - start < 8000);
});

Deno.test("cli: keys, erase, status, prove-offline", async () => {
  const keys = await smem(["keys", "list", "--json"]);
  expectExit(keys, 0, "keys list");
  assert.equal(JSON.parse(keys.stdout).keys.length, 1);
  const first = JSON.parse((await smem(["show", "2", "--json"])).stdout);
  expectExit(
    await smem(["erase", first.record.subject.content_id, "--reason", "gdpr_erasure_request"]),
    0,
    "erase",
  );
  const verify = await smem(["verify", "--json"]);
  expectExit(verify, 0, "verify after erase");
  assert.equal(JSON.parse(verify.stdout).blobs.erased, 1);
  const status = JSON.parse((await smem(["status", "--json"])).stdout);
  assert.equal(status.size, status.checkpoint.size);
  const offline = await smem(["prove-offline", "--json"]);
  expectExit(offline, 0, "prove-offline");
  const report = JSON.parse(offline.stdout);
  assert.equal(report.offline, true);
  for (const name of ["network", "subprocess", "ffi", "system info", "write outside the ledger"]) {
    assert.equal(report.permissions[name], "denied", name);
  }
  assert.equal(report.permissions["write the ledger directory"], "granted");
});

Deno.test("cli: keys rotate; receipts and bundles verify from the first key through the chain", async () => {
  const beforeRotation = (await smem(["checkpoint"])).stdout;
  await Deno.writeTextFile(`${root}/before-rotation.note`, beforeRotation);
  const rotate = await smem(["keys", "rotate", "--json"]);
  expectExit(rotate, 0, "keys rotate");
  const { old_key, new_key } = JSON.parse(rotate.stdout);
  assert.equal(old_key, (await Deno.readTextFile(`${root}/verifier.key`)).trim());
  const after = JSON.parse((await smem(["append", "--kind", "AfterRotation", "--json"])).stdout);
  expectExit(
    await smem(["receipt", String(after.index), "--out", `${root}/late.json`]),
    0,
    "receipt after rotation",
  );
  expectExit(
    await smem(["verify-receipt", `${root}/late.json`, "--key", `${root}/verifier.key`]),
    1,
    "first key alone",
  );
  expectExit(await smem(["keys", "export", "--chain", "--out", `${root}/chain.key`]), 0, "export chain");
  expectExit(
    await smem(["verify-receipt", `${root}/late.json`, "--key", `${root}/chain.key`]),
    0,
    "first key + chain",
  );
  expectExit(await smem(["export", "--out", `${root}/rotated.smemctx`]), 0, "export after rotation");
  expectExit(
    await smem(["verify-bundle", `${root}/rotated.smemctx`, "--key", `${root}/verifier.key`]),
    0,
    "bundle from first key",
  );
  expectExit(await smem(["verify"]), 0, "verify after rotation");
  const extension = await smem(["checkpoint", "--since", beforeRotation.split("\n")[1]]);
  await Deno.writeTextFile(`${root}/rotated-ext.txt`, extension.stdout);
  for (const [key, code] of [["chain.key", 0], ["verifier.key", 1]] as const) {
    expectExit(
      await smem([
        "verify-checkpoint",
        `${root}/rotated-ext.txt`,
        "--previous",
        `${root}/before-rotation.note`,
        "--key",
        `${root}/${key}`,
      ]),
      code,
      `an extension across the rotation, trusting ${key}`,
    );
  }
  const listed = JSON.parse((await smem(["keys", "list", "--json"])).stdout);
  assert.deepEqual(listed.keys, [old_key, new_key]);
});

Deno.test("cli: cleanup", async () => {
  await Deno.remove(root, { recursive: true });
});
