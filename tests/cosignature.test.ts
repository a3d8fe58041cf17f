/**
 * Witness cosignatures (core/cosignature.ts, C2SP tlog-cosignature `cosignature/v1`): made and
 * checked beside the log's own signature; every byte of a cosignature line altered is refused; and
 * Go's `note.Open`, with a cosignature/v1 verifier written from the C2SP text on Go's own Ed25519,
 * opens what we make.
 */
import assert from "node:assert/strict";
import { openCheckpoint, signCheckpoint } from "../core/checkpoint.ts";
import {
  cosignatureTime,
  generateCosignerKey,
  parseCosignerKey,
  parseCosignerVerifierKey,
  requireCosignatures,
} from "../core/cosignature.ts";
import { generateKeyPair, parseSignerKey, parseVerifierKey } from "../core/keys.ts";
import { cosignNote, openNote, readNote, splitNote } from "../core/note.ts";
import { codeOf, failureOf } from "./_codes.ts";
import { sumdbPasses, sumdbRejects } from "./_sumdb_check.ts";

const TIME_MS = 1_795_443_891_500;

async function cosignedCheckpoint() {
  const logKeys = await generateKeyPair("log.example/l-1");
  const witnessKeys = await generateCosignerKey("witness.example/w1");
  const { signer } = await parseSignerKey(logKeys.signerKey);
  const { cosigner } = await parseCosignerKey(witnessKeys.signerKey, () => TIME_MS);
  const checkpoint = { origin: "log.example/l-1", size: 7, root: new Uint8Array(32).fill(3), extensions: [] };
  const note = await cosignNote(await signCheckpoint(checkpoint, [signer]), [cosigner]);
  return {
    note,
    log: await parseVerifierKey(logKeys.verifierKey),
    witness: await parseCosignerVerifierKey(witnessKeys.verifierKey),
    witnessKeys,
  };
}

Deno.test("cosignature: made with the time, checked beside the log's signature, ignored by the log's key alone", async () => {
  const { note, log, witness, witnessKeys } = await cosignedCheckpoint();
  assert.match(witnessKeys.verifierKey, /^witness\.example\/w1\+[0-9a-f]{8}\+/);
  assert.equal(
    Uint8Array.fromBase64(witnessKeys.verifierKey.split("+").slice(2).join("+"))[0],
    0x04,
    "signature type 0x04",
  );
  const opened = await openNote(note, [log, witness]);
  assert.deepEqual(opened.verified.map((s) => s.name), ["log.example/l-1", "witness.example/w1"]);
  assert.equal(cosignatureTime(opened.verified[1]), Math.floor(TIME_MS / 1000));
  assert.deepEqual(await requireCosignatures(opened, [witness]), [opened.verified[1]]);
  assert.equal((await openCheckpoint(note, [log])).checkpoint.size, 7, "unknown to the log's key: ignored");
  const logOnly = await openNote(note, [log]);
  assert.deepEqual(
    await requireCosignatures(logOnly, [witness]),
    [logOnly.unverified[0]],
    "checked even when the note was opened without the witness's key",
  );
  const uncosigned = await openNote(note.slice(0, note.lastIndexOf("— witness")), [log]);
  assert.equal(
    (await failureOf(() => requireCosignatures(uncosigned, [witness]))).code,
    "MISSING_COSIGNATURE",
  );
  assert.equal(
    await codeOf(() => parseCosignerVerifierKey(log.text)),
    "UNKNOWN_KEY_ALG",
    "a log key is no witness key",
  );
  assert.equal(
    await codeOf(() => parseVerifierKey(witness.text)),
    "UNKNOWN_KEY_ALG",
    "a witness key is no log key",
  );
});

Deno.test("cosignature: every byte of the cosignature line altered, or the note text, is refused", async () => {
  const { note, log, witness } = await cosignedCheckpoint();
  const lines = note.split("\n");
  const line = lines.length - 2;
  const [prefix, name, encoded] = lines[line].split(" ");
  const bytes = Uint8Array.fromBase64(encoded);
  for (let i = 4; i < bytes.length; i++) { // bytes 0–3 are the key ID: altered, the line names another key
    const altered = bytes.slice();
    altered[i] ^= 0x01;
    const tampered = [...lines.slice(0, line), `${prefix} ${name} ${altered.toBase64()}`, ""].join("\n");
    assert.equal(await codeOf(() => openNote(tampered, [log, witness])), "BAD_SIGNATURE", `byte ${i}`);
  }
  const otherText = note.replace("\n7\n", "\n8\n");
  assert.equal(await codeOf(() => openNote(otherText, [witness])), "BAD_SIGNATURE");
  const shortened = [...lines.slice(0, line), `${prefix} ${name} ${bytes.subarray(0, 70).toBase64()}`, ""]
    .join("\n");
  assert.equal(await codeOf(() => openNote(shortened, [log, witness])), "BAD_SIGNATURE");
  const flipped = bytes.slice();
  flipped[20] ^= 0x01;
  const unchecked = readNote(
    [...lines.slice(0, line), `${prefix} ${name} ${flipped.toBase64()}`, ""].join("\n"),
  );
  assert.equal(
    await codeOf(() => requireCosignatures(unchecked, [witness])),
    "BAD_SIGNATURE",
    "a note read without checking its signatures",
  );
});

Deno.test("cosignature: Go's note.Open, with a cosignature/v1 verifier of its own, opens ours and refuses a flipped byte", async () => {
  const { note, witness } = await cosignedCheckpoint();
  const dir = await Deno.makeTempDir({ prefix: "smem-cosign-" });
  try {
    await Deno.writeTextFile(`${dir}/w.vkey`, `${witness.text}\n`);
    await Deno.writeTextFile(`${dir}/note`, note);
    const out = await sumdbPasses("cosigned", `${dir}/w.vkey`, `${dir}/note`);
    assert.equal(out.trim(), `cosigned by witness.example/w1 at ${Math.floor(TIME_MS / 1000)}`);
    const { text, signatureBlock } = splitNote(note);
    const [logLine, witnessLine] = signatureBlock.trimEnd().split("\n");
    const encoded = witnessLine.split(" ")[2];
    const flipped = Uint8Array.fromBase64(encoded);
    flipped[40] ^= 0x80;
    await Deno.writeTextFile(
      `${dir}/flipped`,
      `${text}\n${logLine}\n${witnessLine.replace(encoded, flipped.toBase64())}\n`,
    );
    await sumdbRejects(/cosignature by witness\.example\/w1/, "cosigned", `${dir}/w.vkey`, `${dir}/flipped`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
