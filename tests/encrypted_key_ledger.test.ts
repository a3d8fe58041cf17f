/**
 * A ledger whose signer key is encrypted: locked without its passphrase (reads, proves and
 * verifies; refuses to sign and writes nothing), open with it; rotation, re-encryption and a
 * rotation interrupted before its commit.
 */
import assert from "node:assert/strict";
import { decryptSignerKey, encryptedKeyWorkFactor, isEncryptedKey } from "../core/encrypted_key.ts";
import { generateKeyPair } from "../core/keys.ts";
import { Ledger } from "../ledger/ledger.ts";
import { signerKeyFileText } from "../ledger/signer_key_file.ts";
import { readLedgerStatus } from "../ledger/status.ts";
import { codeOf, failureOf } from "./_codes.ts";
import { agentDraft, assertVerifies, removeLedger, tempLedger } from "./_ledger.ts";

const ENCRYPTION = { passphrase: "tr0ub4dor&3", workFactor: 10 };

async function encryptedLedger(): Promise<Ledger> {
  const ledger = await tempLedger({ encryptKey: ENCRYPTION });
  await ledger.appendBatch([agentDraft(0), agentDraft(1)]);
  return ledger;
}

Deno.test("encrypted key: created encrypted (0600), opened only with the passphrase", async () => {
  const ledger = await encryptedLedger();
  const { dir, signerKey } = ledger.paths;
  const verifierKey = ledger.verifierKey;
  ledger.close();
  try {
    const file = Deno.readFileSync(signerKey);
    assert.equal(isEncryptedKey(file), true);
    assert.equal(Deno.statSync(signerKey).mode! & 0o777, 0o600);
    assert.equal(await encryptedKeyWorkFactor(file), 10);
    const opened = await Ledger.open(dir, { passphrase: ENCRYPTION.passphrase });
    assert.equal(opened.keyLocked, false);
    assert.equal(opened.keyEncrypted, true);
    assert.equal(opened.verifierKey, verifierKey);
    assert.equal((await opened.append(agentDraft(2))).index, 2);
    opened.close();
    const wrong = await failureOf(() => Ledger.open(dir, { passphrase: "tr0ub4dor&4" }));
    assert.equal(wrong.code, "BAD_PASSPHRASE");
    assert.ok(wrong.message.includes(signerKey), wrong.message);
    let asked = 0;
    const asking = await Ledger.open(dir, { passphrase: () => (asked++, ENCRYPTION.passphrase) });
    assert.equal(asked, 1);
    asking.close();
    const status = await readLedgerStatus(dir);
    assert.equal(status.keyEncrypted, true);
    assert.equal(status.verifierKey, verifierKey);
  } finally {
    await Deno.remove(dir.replace(/\/ledger$/, ""), { recursive: true });
  }
});

Deno.test("encrypted key: without the passphrase the ledger reads and verifies, and refuses to sign", async () => {
  const created = await encryptedLedger();
  const { dir } = created.paths;
  const verifierKey = created.verifierKey;
  created.close();
  let asked = 0;
  const locked = await Ledger.open(dir);
  try {
    assert.equal(locked.keyLocked, true);
    assert.equal(locked.canSign, false);
    assert.equal(locked.verifierKey, verifierKey, "the newest key of the log, from the database");
    await assertVerifies(locked);
    assert.equal(locked.receipt(1).length > 0, true);
    const refused = await failureOf(() => locked.append(agentDraft(2)));
    assert.equal(refused.code, "KEY_LOCKED");
    assert.equal(await codeOf(() => locked.rotateKey()), "KEY_LOCKED");
    assert.equal(await codeOf(() => locked.encryptKey(undefined)), "KEY_LOCKED");
    assert.equal(locked.size, 2, "the refused append left nothing behind");
    await assertVerifies(locked);
    assert.equal(asked, 0);
  } finally {
    locked.close();
  }
  const reopened = await Ledger.open(dir, { passphrase: () => (asked++, ENCRYPTION.passphrase) });
  assert.equal(reopened.size, 2);
  assert.equal(asked, 1);
  await removeLedger(reopened);
});

Deno.test("encrypted key: a rotated key is encrypted the same way; the old one is kept encrypted", async () => {
  const ledger = await encryptedLedger();
  try {
    const rotated = await ledger.rotateKey({ keepOld: true });
    const file = Deno.readFileSync(ledger.paths.signerKey);
    assert.equal(isEncryptedKey(file), true);
    assert.equal(await encryptedKeyWorkFactor(file), 10);
    assert.match(await decryptSignerKey(file, ENCRYPTION.passphrase), /^PRIVATE\+KEY\+/);
    const oldFile = [...Deno.readDirSync(ledger.paths.dir)].find((entry) => entry.name.endsWith(".old"));
    assert.ok(oldFile !== undefined);
    assert.equal(isEncryptedKey(Deno.readFileSync(`${ledger.paths.dir}/${oldFile.name}`)), true);
    await ledger.append(agentDraft(3));
    ledger.close();
    const status = await readLedgerStatus(ledger.paths.dir);
    assert.deepEqual(
      [status.keyEncrypted, status.verifierKey],
      [true, rotated.newKey],
      "status: the newest key",
    );
    const reopened = await Ledger.open(ledger.paths.dir, { passphrase: ENCRYPTION.passphrase });
    assert.equal(reopened.verifierKey, rotated.newKey);
    await assertVerifies(reopened);
    await removeLedger(reopened);
  } catch (error) {
    ledger.close();
    throw error;
  }
});

Deno.test("encrypted key: encrypt, change the passphrase, decrypt; each time the file is replaced whole", async () => {
  const ledger = await tempLedger();
  const { dir, signerKey } = ledger.paths;
  const plain = Deno.readTextFileSync(signerKey);
  await ledger.encryptKey(ENCRYPTION);
  assert.equal(ledger.keyEncrypted, true);
  assert.equal(await decryptSignerKey(Deno.readFileSync(signerKey), ENCRYPTION.passphrase), plain.trim());
  await ledger.encryptKey({ passphrase: "n3w passphrase", workFactor: 11 });
  assert.equal(
    await codeOf(() => decryptSignerKey(Deno.readFileSync(signerKey), ENCRYPTION.passphrase)),
    "BAD_PASSPHRASE",
  );
  await ledger.append(agentDraft(0));
  ledger.close();
  const reopened = await Ledger.open(dir, { passphrase: "n3w passphrase" });
  await reopened.encryptKey(undefined);
  assert.equal(reopened.keyEncrypted, false);
  assert.equal(Deno.readTextFileSync(signerKey), plain);
  assert.equal(Deno.statSync(signerKey).mode! & 0o777, 0o600);
  assert.deepEqual(
    [...Deno.readDirSync(dir)].map((entry) => entry.name).filter((name) => name.startsWith("signer")),
    [
      "signer.key",
    ],
  );
  await reopened.append(agentDraft(1));
  await assertVerifies(reopened);
  await removeLedger(reopened);
});

Deno.test("encrypted key: a rotation that never committed leaves a locked .next until the passphrase comes", async () => {
  const ledger = await encryptedLedger();
  const { dir, signerKey } = ledger.paths;
  const verifierKey = ledger.verifierKey;
  ledger.close();
  const stray = await generateKeyPair(ledger.meta.origin);
  Deno.writeTextFileSync(`${signerKey}.next`, `${await signerKeyFileText(stray.signerKey, ENCRYPTION)}\n`, {
    mode: 0o600,
  });
  const locked = await Ledger.open(dir);
  assert.equal(locked.verifierKey, verifierKey);
  locked.close();
  assert.equal(Deno.statSync(`${signerKey}.next`).isFile, true, "left for an open that can read it");
  let asked = 0;
  const opened = await Ledger.open(dir, { passphrase: () => (asked++, ENCRYPTION.passphrase) });
  assert.equal(asked, 1, "asked once for the two files");
  assert.throws(() => Deno.statSync(`${signerKey}.next`), Deno.errors.NotFound);
  assert.equal(opened.verifierKey, verifierKey, "the uncommitted key was dropped, the old one kept");
  await opened.append(agentDraft(2));
  await assertVerifies(opened);
  await removeLedger(opened);
});
