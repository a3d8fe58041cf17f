/**
 * Witness cosignatures kept in the ledger (ledger/cosignatures.ts, `smem cosignature`): taken from
 * every form a witness answers in, checked against the checkpoint the ledger signed, and then
 * carried by every checkpoint the ledger hands out (receipts, bundles, extensions); a witness that
 * cosigned another checkpoint of the same size is caught; nothing is stored from a refused answer;
 * verify re-checks each stored line and catches every tampering with the table through sqlite3.
 */
import assert from "node:assert/strict";
import {
  cosignatureTime,
  generateCosignerKey,
  parseCosignerKey,
  parseCosignerVerifierKey,
  requireCosignatures,
} from "../core/cosignature.ts";
import { parseVerifierKey } from "../core/keys.ts";
import { cosignNote, readNote } from "../core/note.ts";
import { parseReceipt, verifyReceipt } from "../core/receipt.ts";
import { COSIGNATURES_TABLE_SQL } from "../ledger/cosignatures.ts";
import { exportBundle } from "../ledger/export.ts";
import { Ledger } from "../ledger/ledger.ts";
import { guardSql } from "../ledger/schema.ts";
import { verifyLedger } from "../ledger/verify.ts";
import { Witness } from "../ledger/witness.ts";
import { verifyBundleFile } from "../cli/bundle_file.ts";
import { codeOf } from "./_codes.ts";
import fc from "fast-check";
import { fcParams } from "./_fc.ts";
import { tamperedOrArbitrary } from "./_mutations.ts";
import { agentDraft, assertVerifies, downgradeToSchema5, removeLedger, tempLedger } from "./_ledger.ts";
import { errorCode, post, removeApi, tempApi } from "./_server.ts";
import { createApp } from "../server/app.ts";
import { expectExit, runSmem } from "./_smem.ts";
import { sumdbPasses } from "./_sumdb_check.ts";
import { expectFailure, sqlite } from "./_tamper.ts";
import { impostorCheckpoint, logAndWitness } from "./_witness.ts";

Deno.test("cosignatures: a cosigned note, an extension or bare lines are stored once and carried by every checkpoint handed out", async () => {
  const { log, witness, logKeys, grow, cleanup } = await logAndWitness();
  const secondDir = await Deno.makeTempDir({ prefix: "smem-w2-" });
  const second = await Witness.create(secondDir, "witness.example/w2");
  try {
    const w1 = await parseCosignerVerifierKey(witness.verifierKey);
    const w2 = await parseCosignerVerifierKey(second.verifierKey);
    await grow(3);
    const before = Math.floor(Date.now() / 1000);
    const first = await witness.addCheckpoint(log.checkpointExtension(0), logKeys);
    const added = await log.addCosignatures(first.extension, [w1]);
    assert.deepEqual(added.map((a) => [a.size, a.witness, a.stored]), [[3, "witness.example/w1", true]]);
    assert.deepEqual(
      (await log.addCosignatures(first.note, [w1])).map((a) => a.stored),
      [false],
      "the same cosignature again is already held",
    );
    await grow(2);
    const bare = await second.addCheckpoint(log.checkpointExtension(0, 3), logKeys);
    assert.equal(
      await codeOf(() => log.addCosignatures(bare.cosignature, [w2])),
      "BAD_COSIGNATURE_INPUT",
      "bare lines need the size",
    );
    await log.addCosignatures(bare.cosignature, [w2], 3);
    const stored = log.checkpointAt(3)!.note;
    assert.deepEqual(readNote(stored).signatures.map((s) => s.name), [
      log.meta.origin,
      "witness.example/w1",
      "witness.example/w2",
    ]);
    assert.deepEqual(log.cosignaturesAt(3).map((c) => c.witnessKey), [
      witness.verifierKey,
      second.verifierKey,
    ]);
    const times = log.cosignaturesAt(3).map((c) => c.time!);
    assert.ok(times.every((t) => t >= before && t <= Date.now() / 1000), `cosigned at ${times}`);

    const receipt = parseReceipt(log.receipt(1, 3));
    const verified = await verifyReceipt(receipt, logKeys, log.hasher);
    assert.equal((await requireCosignatures(verified.checkpoint.note, [w1, w2])).length, 2);
    const latest = parseReceipt(log.receipt(1));
    const uncosigned = await verifyReceipt(latest, logKeys, log.hasher);
    assert.equal(
      await codeOf(() => requireCosignatures(uncosigned.checkpoint.note, [w1])),
      "MISSING_COSIGNATURE",
    );
    assert.equal(parseCheckpointOf(log.checkpointExtension(0, 3)), stored, "extensions carry them");

    const bundle = `${log.paths.dir}/../range.smemctx`;
    let text = "";
    await exportBundle(log, (chunk) => Promise.resolve(void (text += new TextDecoder().decode(chunk))), {
      from: 0,
      to: 3,
    });
    await Deno.writeTextFile(bundle, text);
    const report = await verifyBundleFile(bundle, logKeys);
    assert.equal(report.finalCheckpoint.checkpoint.size, 3);
    assert.equal((await requireCosignatures(report.finalCheckpoint.note, [w2, w1])).length, 2);

    const dir = log.paths.dir;
    log.close();
    const reopened = await Ledger.open(dir);
    try {
      assert.equal(reopened.checkpointAt(3)!.note, stored, "kept across a reopen, in the same order");
      assert.equal((await assertVerifies(reopened)).cosignaturesChecked, 2);
    } finally {
      reopened.close();
    }
  } finally {
    await Deno.remove(secondDir, { recursive: true });
    await cleanup();
  }
});

Deno.test("cosignatures: a witness that saw another checkpoint of the size, a bad line, a missing witness: refused, nothing stored", async () => {
  const { log, witness, logKeys, grow, cleanup } = await logAndWitness("sha256");
  const impostor = await tempLedger({ alg: "sha256", name: "log.example" });
  const fooledDir = await Deno.makeTempDir({ prefix: "smem-w2-" });
  const fooled = await Witness.create(fooledDir, "witness.example/w2");
  try {
    const w1 = await parseCosignerVerifierKey(witness.verifierKey);
    const w2 = await parseCosignerVerifierKey(fooled.verifierKey);
    await grow(4);
    const fork = await impostorCheckpoint(impostor, log, 4);
    const split = await fooled.addCheckpoint(`old 0\n\n${fork.note}`, logKeys);
    const seen = await codeOf(() => log.addCosignatures(split.note, [w2]));
    assert.equal(seen, "COSIGNED_OTHER_CHECKPOINT", "the split view is caught");

    const good = await witness.addCheckpoint(log.checkpointExtension(0), logKeys);
    assert.equal(await codeOf(() => log.addCosignatures(good.note, [w2])), "MISSING_COSIGNATURE");
    assert.equal(await codeOf(() => log.addCosignatures(good.note, [])), "BAD_COSIGNATURE_INPUT");
    const badLine = flipSignatureBit(good.cosignature);
    assert.equal(await codeOf(() => log.addCosignatures(badLine, [w1], 4)), "BAD_SIGNATURE");
    assert.equal(await codeOf(() => log.addCosignatures(good.cosignature, [w1], 9)), "NOT_FOUND");
    assert.equal(await codeOf(() => log.addCosignatures("not a note", [w1])), "MALFORMED_NOTE");
    assert.deepEqual([...log.allCosignatures()], [], "nothing stored from a refused answer");
    assert.equal(log.checkpointAt(4)!.note, log.latestCheckpoint().note);
    assert.equal(readNote(log.latestCheckpoint().note).signatures.length, 1);
  } finally {
    await Deno.remove(fooledDir, { recursive: true });
    await removeLedger(impostor);
    await cleanup();
  }
});

Deno.test("cosignatures: verify catches a stored line altered, a swapped witness key, one on no checkpoint; the table is append-only", async () => {
  const { log, witness, logKeys, grow, cleanup } = await logAndWitness();
  try {
    const w1 = await parseCosignerVerifierKey(witness.verifierKey);
    await grow(2);
    await log.addCosignatures((await witness.addCheckpoint(log.checkpointExtension(0), logKeys)).note, [w1]);
    await assertVerifies(log);
    const db = log.paths.db;
    assert.throws(() => log.db.exec("UPDATE cosignatures SET added_ms = 0"), /append-only/);
    assert.throws(() => log.db.exec("DELETE FROM cosignatures"), /append-only/);
    const [{ line }] = log.cosignaturesAt(2);
    const flipped = Uint8Array.fromBase64(line.trimEnd().split(" ")[2]);
    flipped[50] ^= 0x01;
    const other = (await generateCosignerKey("witness.example/w1")).verifierKey;
    const cases: [string, string][] = [
      [`line = '${line.replace(line.trimEnd().split(" ")[2], flipped.toBase64())}'`, "the line altered"],
      [`witness_key = '${other}'`, "another witness key of the same name"],
      ["witness_key = 'witness.example/w1+00000000+BAAA'", "a malformed witness key"],
      ["size = 1", "moved to a checkpoint it does not sign"],
      ["size = 77", "on a checkpoint the ledger does not hold"],
    ];
    for (const [set, what] of cases) {
      sqlite(
        db,
        `DROP TRIGGER cosignatures_no_update; UPDATE cosignatures SET ${set};
CREATE TRIGGER cosignatures_no_update BEFORE UPDATE ON cosignatures
  BEGIN SELECT RAISE(ABORT, 'cosignatures are append-only'); END;`,
      );
      const report = await verifyLedger(log);
      expectFailure(report, "BAD_COSIGNATURE");
      assert.match(report.failure!.message, /^cosignature on the checkpoint of size \d+: /, what);
      sqlite(db, `DROP TABLE cosignatures; ${COSIGNATURES_RESTORE}`);
      await log.addCosignatures(log.checkpointAt(2)!.note + line, [w1]);
      await assertVerifies(log);
    }
    sqlite(db, "DROP TRIGGER cosignatures_no_delete;");
    expectFailure(await verifyLedger(log), "TRIGGERS_MISSING");
  } finally {
    await cleanup();
  }
});

Deno.test("cosignatures: a schema-5 ledger gains the table on open and keeps verifying", async () => {
  const ledger = await tempLedger();
  const dir = ledger.paths.dir;
  ledger.close();
  downgradeToSchema5(dir);
  const reopened = await Ledger.open(dir);
  try {
    const version = reopened.db.prepare("PRAGMA user_version").get() as { user_version: number };
    assert.equal(version.user_version, 6);
    assert.deepEqual([...reopened.allCosignatures()], []);
    await assertVerifies(reopened); // which checks the table's guards are there
  } finally {
    await removeLedger(reopened);
  }
});

Deno.test("cosignatures: a running server hands out the cosignature another process stored", async () => {
  const api = await tempApi();
  const witnessDir = await Deno.makeTempDir({ prefix: "smem-w-" });
  try {
    assert.equal((await post(api, "/v1/records", [agentDraft(0), agentDraft(1)])).status, 201);
    const reader = api.deps.reader;
    const logKeys = [await parseVerifierKey(reader.verifierKey!)];
    const witness = await Witness.create(witnessDir, "witness.example/w1");
    const w1 = await parseCosignerVerifierKey(witness.verifierKey);
    const answer = await witness.addCheckpoint(reader.checkpointExtension(0, 2), logKeys);
    const other = await Ledger.open(api.dir);
    await other.addCosignatures(answer.note, [w1]);
    other.close();
    const served = await (await api.app.request("/v1/checkpoint?size=2")).text();
    assert.equal(served, answer.note);
    assert.equal((await requireCosignatures(readNote(served), [w1])).length, 1);
    const latest = await (await api.app.request("/v1/checkpoint")).text();
    assert.equal(latest, answer.note, "the newest checkpoint, cosigned");
    assert.equal((await post(api, "/v1/records?receipts=none", agentDraft(2))).status, 201);
    const cosigned = await (await api.app.request("/v1/receipts/1?cosigned=1")).text();
    const verified = await verifyReceipt(cosigned, logKeys, reader.hasher);
    assert.equal(verified.checkpoint.checkpoint.size, 2, "against the cosigned checkpoint, not the newest");
    assert.equal((await requireCosignatures(verified.checkpoint.note, [w1])).length, 1);
    const beyond = await api.app.request("/v1/receipts/2?cosigned=1");
    assert.deepEqual(
      [beyond.status, await errorCode(beyond)],
      [404, "NOT_FOUND"],
      "leaf 2 is not cosigned yet",
    );
    const both = await api.app.request("/v1/receipts/1?cosigned=1&size=2");
    assert.deepEqual([both.status, await errorCode(both)], [400, "BAD_PARAM"]);
  } finally {
    await Deno.remove(witnessDir, { recursive: true });
    await removeApi(api);
  }
});

Deno.test("cosignatures over HTTP: POST /v1/cosignatures takes trusted witnesses' answers in every form; refusals store nothing", async () => {
  const direct = await generateCosignerKey("witness.example/direct");
  const directKey = await parseCosignerVerifierKey(direct.verifierKey);
  const witnessDir = await Deno.makeTempDir({ prefix: "smem-w-" });
  const witness = await Witness.create(witnessDir, "witness.example/w1");
  const w1 = await parseCosignerVerifierKey(witness.verifierKey);
  const api = await tempApi({ witnesses: [w1, directKey] });
  const impostor = await tempLedger({ name: api.deps.reader.meta.origin });
  const postText = (
    path: string,
    body: string | Uint8Array<ArrayBuffer>,
    type = "text/plain; charset=utf-8",
    app = api.app,
  ) =>
    app.request(path, {
      method: "POST",
      headers: { "content-type": type, authorization: `Bearer ${api.deps.token}` },
      body,
    });
  const refused = async (response: Response | Promise<Response>, status: number, code: string) => {
    const answer = await response;
    assert.equal(answer.status, status, code);
    assert.equal(await errorCode(answer), code);
  };
  const listed = async (query = "") =>
    await (await api.app.request(`/v1/cosignatures${query}`)).json() as {
      size: number | null;
      cosignatures: { witness_key: string; line: string }[];
    };
  /** The log size and each trusted witness's newest cosigned size, as `/metrics` reports them. */
  const gauges = async () => {
    const text = await (await api.app.request("/metrics")).text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1]);
    return {
      log: value(/^audit_log_size (\d+)$/m),
      w1: value(/^audit_witness_cosigned_size\{witness="witness\.example\/w1"\} (\d+)$/m),
      direct: value(/^audit_witness_cosigned_size\{witness="witness\.example\/direct"\} (\d+)$/m),
    };
  };
  try {
    assert.deepEqual(await listed(), { size: null, cosignatures: [] });
    assert.equal((await post(api, "/v1/records", [agentDraft(0), agentDraft(1)])).status, 201);
    assert.deepEqual(await gauges(), { log: 2, w1: 0, direct: 0 });
    const reader = api.deps.reader;
    const logKeys = [await parseVerifierKey(reader.verifierKey!)];
    const answer = await witness.addCheckpoint(reader.checkpointExtension(0, 2), logKeys);

    await refused(post(api, "/v1/cosignatures", answer.note, null), 401, "UNAUTHORIZED");
    await refused(
      postText("/v1/cosignatures", answer.note, "application/json"),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    const untrusting = createApp({ ...api.deps, witnesses: [] });
    await refused(postText("/v1/cosignatures", answer.note, "text/plain", untrusting), 409, "NO_WITNESS");
    await refused(postText("/v1/cosignatures", new Uint8Array([0xff, 0x0a])), 400, "BAD_UTF8");
    await refused(postText("/v1/cosignatures", "not a note"), 400, "MALFORMED_NOTE");
    const stranger = await parseCosignerKey(
      (await generateCosignerKey("witness.example/stranger")).signerKey,
    );
    const strangers = await cosignNote(reader.checkpointAt(2)!.note, [stranger.cosigner]);
    await refused(postText("/v1/cosignatures", strangers), 422, "MISSING_COSIGNATURE");
    const fork = await impostorCheckpoint(impostor, api.deps.writer, 2);
    const { cosigner } = await parseCosignerKey(direct.signerKey);
    await refused(
      postText("/v1/cosignatures", await cosignNote(fork.note, [cosigner])),
      409,
      "COSIGNED_OTHER_CHECKPOINT",
    );
    const directNote = await cosignNote(reader.checkpointAt(2)!.note, [cosigner]);
    const directLine = directNote.slice(directNote.lastIndexOf("— "));
    await refused(postText("/v1/cosignatures", directLine), 400, "BAD_COSIGNATURE_INPUT");
    await refused(
      postText("/v1/cosignatures?size=2", flipSignatureBit(directLine)),
      422,
      "BAD_SIGNATURE",
    );
    assert.deepEqual((await listed()).cosignatures, [], "nothing stored from a refused answer");
    const first = await postText("/v1/cosignatures", answer.extension);
    assert.equal(first.status, 201);
    assert.deepEqual(await first.json(), {
      cosignatures: [{
        size: 2,
        witness: "witness.example/w1",
        time: cosignatureTime(readNote(answer.note).signatures[1]),
        stored: true,
      }],
    });
    assert.deepEqual(await gauges(), { log: 2, w1: 2, direct: 0 });
    const again = await postText("/v1/cosignatures", answer.note);
    assert.equal(again.status, 200, "already held");
    assert.equal(
      (await postText("/v1/cosignatures?size=2", directLine)).status,
      201,
      "bare lines with ?size",
    );
    assert.deepEqual(await gauges(), { log: 2, w1: 2, direct: 2 });
    const held = await listed();
    assert.equal(held.size, 2);
    assert.deepEqual(
      held.cosignatures.map((c) => c.witness_key).sort(),
      [direct.verifierKey, witness.verifierKey].sort(),
    );
    assert.deepEqual(await listed("?size=1"), { size: 1, cosignatures: [] });
    const served = await (await api.app.request("/v1/checkpoint?size=2")).text();
    assert.equal((await requireCosignatures(readNote(served), [w1, directKey])).length, 2);
    const forms = [
      { path: "/v1/cosignatures", text: answer.extension },
      { path: "/v1/cosignatures?size=2", text: answer.cosignature },
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...forms).chain((form) =>
          fc.tuple(fc.constant(form.path), tamperedOrArbitrary(form.text))
        ),
        async ([path, tampered]) => {
          const response = await postText(path, tampered);
          const body = await response.json();
          if (response.status >= 400) {
            assert.ok(
              [400, 404, 409, 422].includes(response.status),
              `${response.status} ${JSON.stringify(body)}`,
            );
            return;
          }
          assert.deepEqual(body.cosignatures.map((c: { witness: string }) => c.witness), [
            "witness.example/w1",
          ]);
        },
      ),
      fcParams(),
    );
    assert.deepEqual(
      (await listed()).cosignatures.map((c) => c.line).sort(),
      [answer.cosignature.trimEnd(), directLine.trimEnd()].sort(),
      "tampered answers store nothing but the witnesses' own lines",
    );
    await assertVerifies(reader);
  } finally {
    await removeLedger(impostor);
    await Deno.remove(witnessDir, { recursive: true });
    await removeApi(api);
  }
});

Deno.test("cosignatures CLI: the log keeps the witness's answer; receipts and bundles then verify with --witness, and Go agrees", async () => {
  const root = await Deno.makeTempDir({ prefix: "smem-cosign-cli-" });
  const allow = [`--allow-read=${root}`, `--allow-write=${root}`];
  const smem = (args: string[], stdin?: string) => runSmem([...args, "--json"], { allow, stdin });
  try {
    const log = ["--dir", `${root}/log`];
    const wit = ["--dir", `${root}/witness`];
    expectExit(await smem(["init", ...log]), 0, "log init");
    expectExit(await smem(["keys", "export", "--out", `${root}/log.vkey`, ...log]), 0, "log key");
    expectExit(await smem(["witness", "init", "--name", "witness.example/w1", ...wit]), 0, "witness init");
    await Deno.writeTextFile(
      `${root}/w.vkey`,
      JSON.parse((await smem(["witness", "key", ...wit])).stdout).verifier_key,
    );
    for (const kind of ["PromptReceived", "ModelInvoked"]) {
      expectExit(await smem(["append", "--kind", kind, ...log]), 0, "append");
    }
    const request = JSON.parse((await smem(["checkpoint", "--since", "0", ...log])).stdout).extension;
    const answer = await smem(
      ["witness", "add-checkpoint", "-", "--log", `${root}/log.vkey`, ...wit],
      request,
    );
    expectExit(answer, 0, "the witness cosigns");
    const lines = JSON.parse(answer.stdout).cosignature;
    const none = await smem(["receipt", "0", "--cosigned", ...log]);
    expectExit(none, 2, "--cosigned before any cosignature is kept");
    assert.equal(JSON.parse(none.stdout).error.code, "NOT_FOUND");
    const missingSize = await smem(["cosignature", "add", "-", "--witness", `${root}/w.vkey`, ...log], lines);
    expectExit(missingSize, 2, "bare lines without --size");
    assert.equal(JSON.parse(missingSize.stdout).error.code, "BAD_COSIGNATURE_INPUT");
    const kept = await smem(
      ["cosignature", "add", "-", "--size", "2", "--witness", `${root}/w.vkey`, ...log],
      lines,
    );
    expectExit(kept, 0, "the log keeps the cosignature");
    assert.deepEqual(JSON.parse(kept.stdout).cosignatures.map((c: { stored: boolean }) => c.stored), [true]);
    const listed = JSON.parse((await smem(["cosignature", "list", ...log])).stdout).cosignatures;
    assert.deepEqual(listed.map((c: { size: number }) => c.size), [2]);
    expectExit(await smem(["append", "--kind", "ToolCalled", ...log]), 0, "append after");

    const witnessFlags = ["--key", `${root}/log.vkey`, "--witness", `${root}/w.vkey`];
    const cosigned = ["--cosigned", ...log];
    expectExit(await smem(["receipt", "0", "--out", `${root}/r2.json`, ...cosigned]), 0, "receipt");
    const beyond = await smem(["receipt", "2", ...cosigned]);
    expectExit(beyond, 2, "leaf 2 is newer than the cosigned checkpoint of size 2");
    assert.match(
      JSON.parse(beyond.stdout).error.message,
      /newest cosigned checkpoint \(size 2\) does not reach leaf 2/,
    );
    expectExit(await smem(["receipt", "0", "--size", "3", ...cosigned]), 2, "--size and --cosigned");
    const ok = await smem(["verify-receipt", `${root}/r2.json`, ...witnessFlags]);
    expectExit(ok, 0, "a receipt against the cosigned checkpoint");
    assert.deepEqual(JSON.parse(ok.stdout).cosigned_by, ["witness.example/w1"]);
    expectExit(await smem(["receipt", "0", "--out", `${root}/r3.json`, ...log]), 0, "receipt at the newest");
    const missing = await smem(["verify-receipt", `${root}/r3.json`, ...witnessFlags]);
    expectExit(missing, 1, "the newest checkpoint is not cosigned");
    assert.equal(JSON.parse(missing.stdout).error.code, "MISSING_COSIGNATURE");

    const exported = await smem(["export", "--out", `${root}/b.smemctx`, ...cosigned]);
    expectExit(exported, 0, "export");
    assert.equal(JSON.parse(exported.stdout).to, 2, "up to the cosigned checkpoint");
    const bundle = await smem(["verify-bundle", `${root}/b.smemctx`, ...witnessFlags]);
    expectExit(bundle, 0, "the bundle's final checkpoint is cosigned");
    assert.deepEqual(JSON.parse(bundle.stdout).cosigned_by, ["witness.example/w1"]);
    const verified = JSON.parse((await smem(["verify", ...log])).stdout);
    assert.equal(verified.cosignatures_checked, 1);

    const receipt = JSON.parse(await Deno.readTextFile(`${root}/r2.json`));
    await Deno.writeTextFile(`${root}/cosigned.note`, receipt.checkpoint);
    assert.match(
      await sumdbPasses("cosigned", `${root}/w.vkey`, `${root}/cosigned.note`),
      /^cosigned by witness\.example\/w1 at \d+\n$/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** A signature line with one bit of its signature flipped: well-formed, but it does not verify. */
function flipSignatureBit(line: string): string {
  const [prefix, name, encoded] = line.trimEnd().split(" ");
  const bytes = Uint8Array.fromBase64(encoded);
  bytes[30] ^= 0x04;
  return `${prefix} ${name} ${bytes.toBase64()}\n`;
}

/** The table as schema 6 creates it, with its guards. */
const COSIGNATURES_RESTORE = `${COSIGNATURES_TABLE_SQL}\n${guardSql("cosignatures")}`;

function parseCheckpointOf(extension: string): string {
  return extension.slice(extension.indexOf("\n\n") + 2);
}
