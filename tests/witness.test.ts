/**
 * The offline witness (ledger/witness.ts and `smem witness`): it cosigns a log's checkpoint only
 * when it extends the one it holds; a request from another size is CONFLICT with the size held;
 * forks, rollbacks and foreign keys are refused and change nothing; concurrent requests take turns.
 * A monitor then requires the cosignature with `verify-checkpoint --witness`.
 */
import assert from "node:assert/strict";
import { parseCheckpointExtension } from "../core/checkpoint_extension.ts";
import { parseCosignerVerifierKey } from "../core/cosignature.ts";
import { generateKeyPair, parseVerifierKey } from "../core/keys.ts";
import { openNote } from "../core/note.ts";
import { Witness } from "../ledger/witness.ts";
import { codeOf, failureOf } from "./_codes.ts";
import { agentDraft, removeLedger, tempLedger } from "./_ledger.ts";
import { expectExit, runSmem } from "./_smem.ts";
import { sumdbPasses } from "./_sumdb_check.ts";
import { impostorCheckpoint, logAndWitness } from "./_witness.ts";

Deno.test("witness: first request from 0, then only extensions of what it holds; CONFLICT names the size held", async () => {
  const { log, witness, logKeys, grow, cleanup } = await logAndWitness();
  try {
    await grow(4);
    assert.equal(
      (await failureOf(() => witness.addCheckpoint(log.checkpointExtension(1), logKeys))).code,
      "CONFLICT",
    );
    const first = await witness.addCheckpoint(log.checkpointExtension(0), logKeys);
    assert.deepEqual([first.oldSize, first.size, first.alg], [0, 4, null]);
    const cosigner = await parseCosignerVerifierKey(witness.verifierKey);
    const opened = await openNote(first.note, [...logKeys, cosigner]);
    assert.deepEqual(
      opened.verified.map((s) => s.name).sort(),
      [log.meta.origin, "witness.example/w1"].sort(),
    );
    assert.ok(first.note.endsWith(first.cosignature));
    await grow(5);
    const stale = await failureOf(() => witness.addCheckpoint(log.checkpointExtension(2), logKeys));
    assert.equal(stale.code, "CONFLICT");
    assert.match(stale.message, /holds size 4 of this log; send the extension from size 4/);
    const next = await witness.addCheckpoint(log.checkpointExtension(4), logKeys);
    assert.deepEqual([next.oldSize, next.size, next.alg], [4, 9, "b3"]);
    const again = await witness.addCheckpoint(log.checkpointExtension(9), logKeys);
    assert.deepEqual(
      [again.oldSize, again.size, again.alg],
      [9, 9, null],
      "the same checkpoint, cosigned again",
    );
    assert.equal(parseCheckpointExtension(next.extension).checkpoint, next.note);
  } finally {
    await cleanup();
  }
});

Deno.test("witness: forks, rollbacks, another key and a bad proof are refused and leave what it holds", async () => {
  const { log, witness, logKeys, grow, cleanup } = await logAndWitness("sha256");
  const impostor = await tempLedger({ alg: "sha256", name: "log.example" });
  try {
    await grow(5);
    await witness.addCheckpoint(log.checkpointExtension(0), logKeys);
    await grow(4);
    const good = log.checkpointExtension(5);
    const lines = good.split("\n");
    const flipped = Uint8Array.fromBase64(lines[1]);
    flipped[0] ^= 1;
    const badProof = [lines[0], flipped.toBase64(), ...lines.slice(2)].join("\n");
    assert.equal(await codeOf(() => witness.addCheckpoint(badProof, logKeys)), "ROOT_MISMATCH");
    const otherKeys = [await parseVerifierKey((await generateKeyPair(log.meta.origin)).verifierKey)];
    assert.equal(await codeOf(() => witness.addCheckpoint(good, otherKeys)), "UNVERIFIED_NOTE");
    // A checkpoint of size 5 signed by the log's key over another tree: a fork of what it holds.
    const forkNote = (await impostorCheckpoint(impostor, log, 5)).note;
    const fork = `old 5\n\n${forkNote}`;
    assert.equal(await codeOf(() => witness.addCheckpoint(fork, logKeys)), "ROOT_MISMATCH");
    assert.equal(
      await codeOf(() => witness.addCheckpoint(`old 5\n\n${log.checkpointAt(3)!.note}`, logKeys)),
      "SIZE_OUT_OF_RANGE",
    );
    const held = await witness.addCheckpoint(good, logKeys);
    assert.deepEqual([held.oldSize, held.size], [5, 9], "the refusals changed nothing");
  } finally {
    await removeLedger(impostor);
    await cleanup();
  }
});

Deno.test("witness: a first request is checked as strictly as the rest; each log is held apart; a given hash is the only one tried", async () => {
  const { log, witness, logKeys, grow, cleanup } = await logAndWitness();
  const other = await tempLedger({ name: "other.example" });
  try {
    await grow(3);
    const origin = log.meta.origin;
    const otherKeys = [await parseVerifierKey((await generateKeyPair(origin)).verifierKey)];
    const first = log.checkpointExtension(0);
    assert.equal(await codeOf(() => witness.addCheckpoint(first, otherKeys)), "UNVERIFIED_NOTE");
    const withProof = first.replace("old 0\n", `old 0\n${new Uint8Array(32).toBase64()}\n`);
    assert.equal(await codeOf(() => witness.addCheckpoint(withProof, logKeys)), "PROOF_TOO_LONG");
    assert.equal(await witness.heldSize(origin), 0, "nothing held from a refused first request");

    await witness.addCheckpoint(first, logKeys);
    await grow(2);
    const signedByAnother = await codeOf(() => witness.addCheckpoint(log.checkpointExtension(1), otherKeys));
    assert.equal(signedByAnother, "UNVERIFIED_NOTE", "the signature is checked before the size held");
    assert.equal(
      await codeOf(() => witness.addCheckpoint(log.checkpointExtension(3), logKeys, "sha256")),
      "ROOT_MISMATCH",
    );

    await other.append(agentDraft(0));
    await other.checkpoint();
    const otherFirst = await witness.addCheckpoint(other.checkpointExtension(0), [
      await parseVerifierKey(other.verifierKey!),
    ]);
    assert.deepEqual([otherFirst.oldSize, otherFirst.size], [0, 1], "another log starts from 0");
    assert.deepEqual([await witness.heldSize(origin), await witness.heldSize(other.meta.origin)], [3, 1]);
    const next = await witness.addCheckpoint(log.checkpointExtension(3), logKeys, "b3");
    assert.deepEqual([next.oldSize, next.size, next.alg], [3, 5, "b3"]);
  } finally {
    await removeLedger(other);
    await cleanup();
  }
});

Deno.test("witness: requests for one log take turns under a file lock; the loser of a race is CONFLICT", async () => {
  const { log, witness, logKeys, grow, cleanup } = await logAndWitness();
  try {
    const three = await grow(3);
    await witness.addCheckpoint(log.checkpointExtension(0), logKeys);
    const four = await grow(1);
    const toFour = log.checkpointExtension(three, four);
    const toFive = log.checkpointExtension(three, await grow(1));
    const [lockName] = [...Deno.readDirSync(`${witness.dir}/witness`)].filter((e) =>
      e.name.endsWith(".lock")
    );
    const other = await Deno.open(`${witness.dir}/witness/${lockName.name}`, { write: true });
    await other.lock(true); // as another process in the middle of a request would hold it
    let finished = false;
    const pending = witness.addCheckpoint(toFour, logKeys).finally(() => finished = true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(finished, false, "the request waits for the lock");
    other.close();
    assert.equal((await pending).size, four);
    const loser = await failureOf(() => witness.addCheckpoint(toFive, logKeys));
    assert.equal(loser.code, "CONFLICT");
    assert.match(loser.message, new RegExp(`holds size ${four} `));
  } finally {
    await cleanup();
  }
});

Deno.test("witness: an encrypted witness key is locked without its passphrase", async () => {
  const dir = await Deno.makeTempDir({ prefix: "smem-witness-" });
  try {
    const created = await Witness.create(dir, "witness.example/w2", { passphrase: "w pass", workFactor: 10 });
    assert.equal(Witness.verifierKeyOf(dir), created.verifierKey);
    assert.equal(await codeOf(() => Witness.open(dir)), "KEY_LOCKED");
    assert.equal(await codeOf(() => Witness.open(dir, "wrong")), "BAD_PASSPHRASE");
    assert.equal((await Witness.open(dir, "w pass")).verifierKey, created.verifierKey);
    assert.equal(await codeOf(() => Witness.create(dir, "again")), "LEDGER_EXISTS");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("witness CLI: a log, a witness and a monitor, each under the binary's permissions; Go checks the cosignature", async () => {
  const root = await Deno.makeTempDir({ prefix: "smem-witness-cli-" });
  const allow = [`--allow-read=${root}`, `--allow-write=${root}`];
  const smem = (args: string[], stdin?: string) => runSmem(args, { allow, stdin });
  try {
    const log = ["--dir", `${root}/log`];
    const wit = ["--dir", `${root}/witness`];
    expectExit(await smem(["init", "--alg", "sha256", ...log]), 0, "log init");
    expectExit(await smem(["keys", "export", "--out", `${root}/log.vkey`, ...log]), 0, "log key");
    expectExit(await smem(["witness", "init", "--name", "witness.example/w1", ...wit]), 0, "witness init");
    const key = await smem(["witness", "key", ...wit]);
    await Deno.writeTextFile(`${root}/w.vkey`, key.stdout);
    expectExit(await smem(["append", "--kind", "SessionStarted", ...log]), 0, "append");
    const kept = await smem(["checkpoint", "--out", `${root}/kept.note`, ...log]);
    expectExit(kept, 0, "the monitor keeps a checkpoint");
    const first = await smem(["checkpoint", "--since", "0", ...log]);
    const cosign0 = await smem(
      ["witness", "add-checkpoint", "-", "--log", `${root}/log.vkey`, ...wit],
      first.stdout,
    );
    expectExit(cosign0, 0, "first cosignature");
    assert.match(cosign0.stdout, /^— witness\.example\/w1 [A-Za-z0-9+/]+=*\n$/);
    for (const kind of ["PromptReceived", "ModelInvoked", "ToolCalled"]) {
      expectExit(await smem(["append", "--kind", kind, ...log]), 0, "append");
    }
    const request = await smem(["checkpoint", "--since", "1", ...log]);
    await Deno.writeTextFile(`${root}/plain.ext`, request.stdout);
    const stale = await smem([
      "witness",
      "add-checkpoint",
      "-",
      "--log",
      `${root}/log.vkey`,
      "--json",
      ...wit,
    ], "old 0\n\n" + request.stdout.split("\n\n").slice(1).join("\n\n"));
    expectExit(stale, 4, "a request from a size the witness does not hold");
    assert.equal(JSON.parse(stale.stdout).error.code, "CONFLICT");
    const cosigned = await smem([
      "witness",
      "add-checkpoint",
      `${root}/plain.ext`,
      "--log",
      `${root}/log.vkey`,
      "--out",
      `${root}/cosigned.ext`,
      "--json",
      ...wit,
    ]);
    expectExit(cosigned, 0, "cosign the extension");
    assert.deepEqual(
      (({ old_size, size, alg }) => ({ old_size, size, alg }))(JSON.parse(cosigned.stdout)),
      { old_size: 1, size: 4, alg: "sha256" },
    );
    const monitor = [
      "--previous",
      `${root}/kept.note`,
      "--key",
      `${root}/log.vkey`,
      "--witness",
      `${root}/w.vkey`,
    ];
    const checked = await smem(["verify-checkpoint", `${root}/cosigned.ext`, ...monitor, "--json"]);
    expectExit(checked, 0, "the monitor checks the cosigned checkpoint");
    assert.deepEqual(JSON.parse(checked.stdout).cosigned_by, ["witness.example/w1"]);
    const uncosigned = await smem(["verify-checkpoint", `${root}/plain.ext`, ...monitor, "--json"]);
    expectExit(uncosigned, 1, "no cosignature");
    assert.equal(JSON.parse(uncosigned.stdout).error.code, "MISSING_COSIGNATURE");
    await Deno.writeTextFile(`${root}/cosigned.note`, JSON.parse(cosigned.stdout).note);
    assert.match(
      await sumdbPasses("cosigned", `${root}/w.vkey`, `${root}/cosigned.note`),
      /^cosigned by witness\.example\/w1 at \d+\n$/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
