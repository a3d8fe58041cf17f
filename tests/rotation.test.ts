import assert from "node:assert/strict";
import { openCheckpoint } from "../core/checkpoint.ts";
import { generateKeyPair, parseSignerKey, parseVerifierKey } from "../core/keys.ts";
import { parseReceipt, verifyReceipt } from "../core/receipt.ts";
import { KeyChain, openRotation, ROTATION_HEADER, signRotation } from "../core/rotation.ts";
import { signNote } from "../core/note.ts";
import { verifyBundleFile } from "../cli/bundle_file.ts";
import { exportBundle } from "../ledger/export.ts";
import { Ledger } from "../ledger/ledger.ts";
import { verifyLedger } from "../ledger/verify.ts";
import { openApi } from "../server/serve.ts";
import { agentDraft, assertVerifies, removeLedger, tempLedger } from "./_ledger.ts";
import { codeOf, failureOf } from "./_codes.ts";
import { expectExit, runSmem } from "./_smem.ts";

Deno.test("rotation: a rotated ledger verifies from its first key; checkpoints switch keys at the rotation", async () => {
  const ledger = await tempLedger();
  const firstKey = ledger.verifierKey!;
  await ledger.appendBatch([agentDraft(0), agentDraft(1)]);
  const rotated = await ledger.rotateKey();
  assert.equal(rotated.oldKey, firstKey);
  assert.equal(rotated.index, 2);
  assert.equal(ledger.verifierKey, rotated.newKey);
  await ledger.appendBatch([agentDraft(2), agentDraft(3)]);
  const first = await parseVerifierKey(firstKey);
  const second = await parseVerifierKey(rotated.newKey);
  const atRotation = await openCheckpoint(ledger.checkpointAt(3)!.note, [first, second]);
  assert.equal(atRotation.note.verified.length, 2, "the rotation's commit is signed by both keys");
  assert.equal(
    await codeOf(() => openCheckpoint(ledger.latestCheckpoint().note, [first])),
    "UNVERIFIED_NOTE",
  );
  assert.equal((await verifyLedger(ledger)).ok, true);
  const fromFirst = await verifyLedger(ledger, { trustedKeys: [firstKey] });
  assert.equal(fromFirst.ok, true, fromFirst.failure?.message);
  assert.deepEqual(ledger.verifierKeys(), [firstKey, rotated.newKey]);
  assert.equal((await Deno.readTextFile(ledger.paths.signerKey)).trim().startsWith("PRIVATE+KEY+"), true);
  const files = [...Deno.readDirSync(ledger.paths.dir)].map((e) => e.name);
  assert.ok(!files.some((name) => name.endsWith(".old") || name.endsWith(".next")), files.join(", "));
  const reopened = await Ledger.open(ledger.paths.dir);
  assert.equal(reopened.verifierKey, rotated.newKey);
  reopened.close();

  const chain = new KeyChain([first]);
  for (const statement of ledger.rotations()) await chain.rotate(statement, ledger.meta.origin);
  const late = parseReceipt(ledger.receipt(4));
  assert.equal((await verifyReceipt(late, chain.verifiersFor(6), ledger.hasher)).index, 4);
  assert.equal(await codeOf(() => verifyReceipt(late, [first], ledger.hasher)), "UNVERIFIED_NOTE");
  const early = parseReceipt(ledger.receipt(1, 2));
  assert.equal((await verifyReceipt(early, [first], ledger.hasher)).index, 1);

  const path = `${ledger.paths.dir}/rotated.smemctx`;
  const file = await Deno.open(path, { write: true, create: true });
  await exportBundle(ledger, async (chunk) => void (await file.write(chunk)));
  file.close();
  const report = await verifyBundleFile(path, [first]);
  assert.equal(report.records, 5);
  assert.equal(
    await codeOf(() => verifyBundleFile(path, [second])),
    "BAD_ROTATION",
    "the chain must start at a trusted key",
  );
  const lines = (await Deno.readTextFile(path)).split("\n");
  assert.equal(lines[1], `key ${firstKey}`);
  assert.ok(lines[2].startsWith("rotation "));
  const otherKey = (await generateKeyPair(ledger.meta.origin)).verifierKey;
  await Deno.writeTextFile(path, lines.with(1, `key ${otherKey}`).join("\n"));
  const error = await failureOf(() => verifyBundleFile(path, [first]));
  assert.deepEqual(
    [error.code, error.where.line],
    ["BUNDLE_MALFORMED", 3],
    "the key line is the first rotation's old key",
  );
  assert.ok(lines[2].includes("/"), "the statement holds a slash to escape");
  await Deno.writeTextFile(path, lines.with(2, lines[2].replace("/", "\\/")).join("\n"));
  const respelled = await failureOf(() => verifyBundleFile(path, [first]));
  assert.deepEqual([respelled.code, respelled.where.line], ["BUNDLE_MALFORMED", 3]);
  assert.match(respelled.message, /rotation line must hold exactly a JSON string/);
  await removeLedger(ledger);
});

Deno.test("rotation: a KeyChain takes only well-formed statements from its current key, and keys sign only their own sizes", async () => {
  const origin = "audit.example/l-1";
  const [a, b, c] = await Promise.all(
    [0, 1, 2].map(async () => parseSignerKey((await generateKeyPair(origin)).signerKey)),
  );
  const statementText = (lines: string[]) => `${lines.join("\n")}\n`;
  const lines = [ROTATION_HEADER, origin, "leaf 5", a.verifierKey, b.verifierKey];
  const malformed = [
    [...lines, "extra line"],
    ["securamem/key-rotation/v2", ...lines.slice(1)],
    [ROTATION_HEADER, origin, "leaf 05", a.verifierKey, b.verifierKey],
  ];
  for (const bad of malformed) {
    const note = await signNote(statementText(bad), [a.signer, b.signer]);
    assert.equal(await codeOf(() => openRotation(note)), "BAD_ROTATION", bad.join(" | "));
  }

  const chain = new KeyChain([await parseVerifierKey(a.verifierKey)]);
  const aToB = await signRotation(
    { origin, leaf: 5, oldKey: a.verifierKey, newKey: b.verifierKey },
    a.signer,
    b.signer,
  );
  assert.equal(
    await codeOf(() => chain.rotate(aToB, "other.example/l-2")),
    "BAD_ROTATION",
    "another log's rotation",
  );
  await chain.rotate(aToB, origin);
  const keysAt = (size: number) => chain.verifiersFor(size).map((v) => v.text);
  assert.deepEqual(keysAt(5), [a.verifierKey], "before the rotation record: the old key only");
  assert.deepEqual(keysAt(6), [a.verifierKey, b.verifierKey], "the commit holding it: both");
  assert.deepEqual(keysAt(7), [b.verifierKey], "after: the new key only");
  const aToC = await signRotation(
    { origin, leaf: 9, oldKey: a.verifierKey, newKey: c.verifierKey },
    a.signer,
    c.signer,
  );
  assert.equal(
    await codeOf(() => chain.rotate(aToC, origin)),
    "BAD_ROTATION",
    "a retired key cannot fork the chain",
  );
  assert.deepEqual(keysAt(20), [b.verifierKey]);
});

Deno.test("rotation: keep-old keeps the old secret; a statement signed by one key only is refused", async () => {
  const ledger = await tempLedger();
  const { oldKey } = await ledger.rotateKey({ keepOld: true });
  const old = [...Deno.readDirSync(ledger.paths.dir)].find((e) => e.name.endsWith(".old"));
  assert.ok(old !== undefined);
  assert.equal((Deno.statSync(`${ledger.paths.dir}/${old.name}`).mode ?? 0) & 0o777, 0o600);
  assert.equal(
    (await parseSignerKey(Deno.readTextFileSync(`${ledger.paths.dir}/${old.name}`).trim())).verifierKey,
    oldKey,
  );

  const a = await parseSignerKey((await generateKeyPair("o/1")).signerKey);
  const b = await parseSignerKey((await generateKeyPair("o/1")).signerKey);
  const rotation = { origin: "o/1", leaf: 0, oldKey: a.verifierKey, newKey: b.verifierKey };
  const both = await signRotation(rotation, a.signer, b.signer);
  assert.equal((await openRotation(both)).rotation.newKey, b.verifierKey);
  const onlyNew = both.replace(/— o\/1 [^\n]+\n(— o\/1 [^\n]+\n)$/, "$1");
  assert.equal(await codeOf(() => openRotation(onlyNew)), "BAD_ROTATION");
  const chain = new KeyChain([await parseVerifierKey(b.verifierKey)]);
  assert.equal(await codeOf(() => chain.rotate(both)), "BAD_ROTATION", "a rotation from an untrusted key");
  await removeLedger(ledger);
});

Deno.test("rotation: a leftover signer.key.next from an uncommitted rotation is discarded on open", async () => {
  const ledger = await tempLedger();
  const before = ledger.verifierKey;
  const stray = await generateKeyPair(ledger.meta.origin);
  await Deno.writeTextFile(`${ledger.paths.signerKey}.next`, `${stray.signerKey}\n`);
  ledger.close();
  const reopened = await Ledger.open(ledger.paths.dir);
  assert.equal(reopened.verifierKey, before);
  assert.ok(![...Deno.readDirSync(ledger.paths.dir)].some((e) => e.name.endsWith(".next")));
  await removeLedger(reopened);
});

Deno.test("rotation: a leftover signer.key.next whose key committed completes the rotation on open", async () => {
  const ledger = await tempLedger();
  const { newKey } = await ledger.rotateKey({ keepOld: true });
  // Simulate a crash between the commit and the rename: the old key back in place, the new one pending.
  const newSecret = await Deno.readTextFile(ledger.paths.signerKey);
  const oldFile = [...Deno.readDirSync(ledger.paths.dir)].find((e) => e.name.endsWith(".old"))!.name;
  await Deno.writeTextFile(`${ledger.paths.signerKey}.next`, newSecret);
  await Deno.copyFile(`${ledger.paths.dir}/${oldFile}`, ledger.paths.signerKey);
  ledger.close();
  const reopened = await Ledger.open(ledger.paths.dir);
  assert.equal(reopened.verifierKey, newKey);
  assert.ok(![...Deno.readDirSync(ledger.paths.dir)].some((e) => e.name.endsWith(".next")));
  assert.equal((await verifyLedger(reopened)).ok, true);
  await removeLedger(reopened);
});

/**
 * Rotates `ledger`'s key keeping the old one, closes it, and puts the old key back as
 * `signer.key`, as an operator restoring a backup taken before the rotation would.
 */
async function restoreRetiredKey(ledger: Ledger): Promise<void> {
  await ledger.rotateKey({ keepOld: true });
  const oldFile = [...Deno.readDirSync(ledger.paths.dir)].find((e) => e.name.endsWith(".old"))!.name;
  ledger.close();
  await Deno.copyFile(`${ledger.paths.dir}/${oldFile}`, ledger.paths.signerKey);
}

Deno.test("rotation: the retired key restored as signer.key cannot sign: appends, rotation and serve are KEY_MISMATCH, nothing written", async () => {
  const ledger = await tempLedger();
  await ledger.append(agentDraft(0));
  await restoreRetiredKey(ledger);
  const restored = await Ledger.open(ledger.paths.dir);
  assert.equal(restored.canSign, false);
  const refused = await failureOf(() => restored.append(agentDraft(1)));
  assert.equal(refused.code, "KEY_MISMATCH", refused.message);
  assert.match(
    refused.message,
    /cannot sign a checkpoint: .*signer\.key is not the log's current key \(it signs as /,
  );
  assert.equal(await codeOf(() => restored.rotateKey()), "KEY_MISMATCH");
  assert.equal(await codeOf(() => openApi({ dir: ledger.paths.dir, port: 0 })), "KEY_MISMATCH");
  assert.equal(restored.size, 2, "nothing appended");
  const report = await verifyLedger(restored);
  assert.equal(report.failure?.code, "KEY_MISMATCH", report.failure?.message);
  assert.match(report.failure!.message, /not the key the log's key chain ends with/);
  await removeLedger(restored);
});

Deno.test("rotation: a handle opened before another handle's rotation refuses to sign with the retired key", async () => {
  const first = await tempLedger();
  const second = await Ledger.open(first.paths.dir);
  await second.rotateKey();
  const refused = await failureOf(() => first.append(agentDraft(0)));
  assert.equal(refused.code, "KEY_MISMATCH", refused.message);
  assert.match(
    refused.message,
    /another process rotated the signing key since this ledger was opened: reopen it/,
  );
  first.close();
  await second.append(agentDraft(1));
  await assertVerifies(second);
  const reopened = await Ledger.open(first.paths.dir);
  await reopened.append(agentDraft(2));
  assert.equal(reopened.size, 3);
  await assertVerifies(reopened);
  second.close();
  await removeLedger(reopened);
});

Deno.test("rotation: smem append with a retired signer.key exits 2 with KEY_MISMATCH; verify exits 1", async () => {
  const ledger = await tempLedger();
  await restoreRetiredKey(ledger);
  const allow = [`--allow-read=${ledger.paths.dir}`, `--allow-write=${ledger.paths.dir}`];
  const dirArgs = ["--dir", ledger.paths.dir, "--json"];
  const append = await runSmem(["append", "--kind", "Late", ...dirArgs], { allow });
  expectExit(append, 2, "append with a retired key");
  assert.equal(JSON.parse(append.stdout).error.code, "KEY_MISMATCH");
  expectExit(await runSmem(["verify", ...dirArgs], { allow }), 1, "verify with a retired key");
  const reopened = await Ledger.open(ledger.paths.dir);
  assert.equal(reopened.size, 1, "only the rotation record");
  await removeLedger(reopened);
});
