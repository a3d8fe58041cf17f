/**
 * Strictness of every text SecuraMem reads, as properties over one-edit tampering and arbitrary
 * text: a reader either refuses with a typed error (a SecuraMemError with a stable code, never
 * another exception) or accepts a text that writes back to itself — so no two texts mean the same
 * key, hash, checkpoint or note, and a tampered copy is never taken for the original.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatCheckpoint, parseCheckpoint, signCheckpoint } from "../core/checkpoint.ts";
import {
  ALG_COSIGNATURE_V1,
  ALG_ED25519,
  generateKeyPair,
  keyIdHex,
  keyPairFromSeed,
  parseSignerKey,
  parseVerifierKey,
  signerKeyParts,
  verifierKeyParts,
} from "../core/keys.ts";
import { generateCosignerKey, parseCosignerKey, parseCosignerVerifierKey } from "../core/cosignature.ts";
import { canonicalizeRecord } from "../core/canonical.ts";
import { toBase64 } from "../core/encoding.ts";
import { formatHash, parseHash } from "../core/hash.ts";
import { readJsonText } from "../core/json_reader.ts";
import { cosignNote, openNote, readNote, signatureLine, splitNote } from "../core/note.ts";
import { parseReceipt, verifyReceipt } from "../core/receipt.ts";
import { genesisHead, readDraftText, sealRecord } from "../core/record.ts";
import { loadHasher } from "../wasm/hasher.ts";
import { codeOf, codeOfSync } from "./_codes.ts";
import { fcParams } from "./_fc.ts";
import { agentDraft } from "./_ledger.ts";
import { tamperedOrArbitrary } from "./_mutations.ts";
import { logAndWitness } from "./_witness.ts";

const b3 = await loadHasher("b3");
const names = fc.stringMatching(/^[a-z][a-z0-9.]{0,11}(\/[a-z0-9-]{1,8})?$/);

/** `parse(tampered)` is refused with a typed error, or `tampered` is the original text. */
async function refusedUnlessUnchanged(original: string, tampered: string, parse: (text: string) => unknown) {
  const code = await codeOf(() => parse(tampered));
  if (code === undefined) assert.equal(tampered, original, "a changed text was accepted");
}

Deno.test("strictness property: a tampered verifier or signer key (log or witness) is refused", async () => {
  const pairs = [
    { keys: await generateKeyPair("log.example/l-1"), witness: false },
    { keys: await generateKeyPair("Notary"), witness: false },
    { keys: await generateCosignerKey("witness.example/w1"), witness: true },
  ];
  for (const { keys, witness } of pairs) {
    const other = witness ? parseVerifierKey : parseCosignerVerifierKey;
    assert.equal(await codeOf(() => other(keys.verifierKey)), "UNKNOWN_KEY_ALG", "a key of the other kind");
  }
  const which = fc.constantFrom("verifierKey" as const, "signerKey" as const);
  const tampered = fc.tuple(fc.constantFrom(...pairs), which).chain(([pair, field]) =>
    fc.tuple(fc.constant(pair), fc.constant(field), tamperedOrArbitrary(pair.keys[field]))
  );
  await fc.assert(
    fc.asyncProperty(tampered, async ([{ keys, witness }, field, text]) => {
      const alg = witness ? ALG_COSIGNATURE_V1 : ALG_ED25519;
      const readers = field === "verifierKey"
        ? [(t: string) => verifierKeyParts(t, alg), witness ? parseCosignerVerifierKey : parseVerifierKey]
        : [(t: string) => signerKeyParts(t, alg), witness ? parseCosignerKey : parseSignerKey];
      for (const reader of readers) await refusedUnlessUnchanged(keys[field], text, reader);
    }),
    fcParams(5),
  );
});

Deno.test("strictness property: key texts from any name and seed read back to the same parts", async () => {
  await fc.assert(
    fc.asyncProperty(
      names,
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.constantFrom(ALG_ED25519, ALG_COSIGNATURE_V1),
      async (name, seed, alg) => {
        const keys = await keyPairFromSeed(name, seed, alg);
        const signer = await signerKeyParts(keys.signerKey, alg);
        assert.deepEqual(signer.seed, seed);
        assert.equal(signer.verifierKey, keys.verifierKey);
        assert.equal(
          `PRIVATE+KEY+${signer.name}+${keyIdHex(signer.keyId)}+${toBase64(new Uint8Array([alg, ...seed]))}`,
          keys.signerKey,
        );
        const verifier = await verifierKeyParts(keys.verifierKey, alg);
        assert.deepEqual(verifier.publicKey, signer.publicKey);
        assert.equal(
          `${verifier.name}+${keyIdHex(verifier.keyId)}+${
            toBase64(new Uint8Array([alg, ...verifier.publicKey]))
          }`,
          keys.verifierKey,
        );
      },
    ),
    fcParams(),
  );
});

Deno.test("strictness property: an accepted hash string or checkpoint text writes back to itself", () => {
  const hashes = fc.tuple(fc.constantFrom("b3", "sha256"), fc.uint8Array({ minLength: 32, maxLength: 32 }))
    .map(([alg, digest]) => formatHash(alg as "b3" | "sha256", digest));
  fc.assert(
    fc.property(
      hashes.chain((text) => fc.tuple(fc.constant(text), tamperedOrArbitrary(text))),
      ([, text]) => {
        if (codeOfSync(() => parseHash(text)) !== undefined) return;
        const { alg, digest } = parseHash(text);
        assert.equal(formatHash(alg, digest), text);
      },
    ),
    fcParams(20),
  );
  const checkpoints = fc.record({
    origin: names,
    size: fc.maxSafeNat(),
    root: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    extensions: fc.array(fc.stringMatching(/^[ -~]{1,20}$/), { maxLength: 2 }),
  }).map(formatCheckpoint);
  fc.assert(
    fc.property(checkpoints.chain((text) => tamperedOrArbitrary(text)), (text) => {
      if (codeOfSync(() => parseCheckpoint(text)) !== undefined) return;
      assert.equal(formatCheckpoint(parseCheckpoint(text)), text);
    }),
    fcParams(20),
  );
});

/** A checkpoint note signed by a log and cosigned by a witness, with the keys that open it. */
async function cosignedCheckpoint(size: number) {
  const log = await generateKeyPair("log.example");
  const witness = await generateCosignerKey("witness.example/w1");
  const { signer } = await parseSignerKey(log.signerKey);
  const { cosigner } = await parseCosignerKey(witness.signerKey);
  const root = b3.digest(new Uint8Array([size]));
  const note = await signCheckpoint({ origin: "log.example", size, root, extensions: [] }, [signer]);
  return {
    note: await cosignNote(note, [cosigner]),
    verifiers: [await parseVerifierKey(log.verifierKey), await parseCosignerVerifierKey(witness.verifierKey)],
  };
}

Deno.test("strictness property: a tampered signed note opens only to the signed text and its own lines", async () => {
  const { note, verifiers } = await cosignedCheckpoint(5);
  const { text } = splitNote(note);
  const lines = readNote(note).signatures.map(signatureLine);
  const opensAsSigned = async (tampered: string, trusted: typeof verifiers) => {
    if (await codeOf(() => openNote(tampered, trusted)) !== undefined) return;
    const opened = await openNote(tampered, trusted);
    assert.equal(opened.text, text, "a changed text opened");
    for (const signature of opened.verified) assert.ok(lines.includes(signatureLine(signature)));
  };
  await fc.assert(
    fc.asyncProperty(tamperedOrArbitrary(note), async (tampered) => {
      await opensAsSigned(tampered, verifiers);
      await opensAsSigned(tampered, verifiers.slice(0, 1));
      await opensAsSigned(tampered, verifiers.slice(1));
      if (codeOfSync(() => readNote(tampered)) !== undefined) return;
      const read = readNote(tampered);
      assert.equal(`${read.text}\n${read.signatures.map(signatureLine).join("")}`, tampered);
    }),
    fcParams(5),
  );
});

Deno.test("strictness property: a tampered draft is refused or seals to canonical text", () => {
  const text = JSON.stringify(
    agentDraft(3, { reason: "café ok", attrs: { list: [1, "x", { k: null }], t: true } }),
  );
  fc.assert(
    fc.property(tamperedOrArbitrary(text), (tampered) => {
      const seal = () =>
        sealRecord(readDraftText(tampered), genesisHead("b3"), { tsMs: 7, writerId: "w" }, b3);
      if (codeOfSync(seal) !== undefined) return;
      const sealed = seal();
      assert.equal(canonicalizeRecord(readJsonText(sealed.text), undefined, "require").text, sealed.text);
    }),
    fcParams(10),
  );
});

Deno.test("strictness property: a tampered receipt or witness answer proves nothing it was not given", async () => {
  const { log, witness, logKeys, grow, cleanup } = await logAndWitness();
  try {
    await grow(3);
    const answer = await witness.addCheckpoint(log.checkpointExtension(0), logKeys);
    const w1 = await parseCosignerVerifierKey(witness.verifierKey);
    const forms = [
      { text: answer.note, size: undefined },
      { text: answer.extension, size: undefined },
      { text: answer.cosignature, size: 3 },
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...forms).chain((form) =>
          fc.tuple(fc.constant(form), tamperedOrArbitrary(form.text))
        ),
        async ([form, tampered]) => {
          if (await codeOf(() => log.addCosignatures(tampered, [w1], form.size)) !== undefined) return;
          assert.deepEqual(log.cosignaturesAt(3).map((c) => c.line), [answer.cosignature]);
        },
      ),
      fcParams(),
    );
    const receipt = log.receipt(1);
    const original = await verifyReceipt(receipt, logKeys, b3);
    await fc.assert(
      fc.asyncProperty(tamperedOrArbitrary(receipt), async (tampered) => {
        if (await codeOf(() => verifyReceipt(tampered, logKeys, b3)) !== undefined) return;
        const verified = await verifyReceipt(parseReceipt(tampered), logKeys, b3);
        assert.equal(verified.record.text, original.record.text);
        assert.equal(verified.index, original.index);
        assert.equal(verified.checkpoint.note.text, original.checkpoint.note.text);
      }),
      fcParams(),
    );
  } finally {
    await cleanup();
  }
});
