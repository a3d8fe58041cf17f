/**
 * Witness cosignatures (C2SP tlog-cosignature, `cosignature/v1`): a witness that checked a
 * checkpoint extends the one it saw before signs
 *
 *     cosignature/v1
 *     time <POSIX seconds, decimal>
 *     <the checkpoint's whole note text>
 *
 * with Ed25519, written as a note signature line of its own:
 * `— <witness name> base64(key ID || u64 time, big-endian || signature)`, the key ID computed with
 * signature type 0x04. A cosigner is a `NoteSigner` and a cosigner verifier a `NoteVerifier`, so
 * `cosignNote` adds cosignatures and `openNote` checks them beside the log's own signature.
 * @module
 */
import { Ed25519Signer, Ed25519Verifier } from "./ed25519.ts";
import { fromBase64Strict, utf8 } from "./encoding.ts";
import { NoteError } from "./errors.ts";
import {
  ALG_COSIGNATURE_V1,
  keyPairFromSeed,
  type KeyPairText,
  type NoteSigner,
  type NoteVerifier,
  signerKeyParts,
  verifierKeyParts,
} from "./keys.ts";
import { type NoteSignature, type ReadNote, signatureBytes } from "./note.ts";

const HEADER = "cosignature/v1\n";
const TIME_BYTES = 8;
const SIGNATURE_BYTES = 64;

/**
 * Generates a witness key pair (signature type 0x04) for `name`, e.g. `witness.example/w1`.
 *
 * @example
 * ```ts
 * import { generateCosignerKey } from "../mod.ts";
 * const { signerKey, verifierKey } = await generateCosignerKey("witness.example/w1");
 * verifierKey.startsWith("witness.example/w1+"); // true
 * signerKey.startsWith("PRIVATE+KEY+witness.example/w1+"); // true
 * ```
 */
export function generateCosignerKey(name: string): Promise<KeyPairText> {
  return keyPairFromSeed(name, crypto.getRandomValues(new Uint8Array(32)), ALG_COSIGNATURE_V1);
}

/**
 * A cosigner from a witness signer key text; `now` gives the time it signs at (milliseconds).
 *
 * @example
 * ```ts
 * import { cosignNote, generateCosignerKey, generateKeyPair, parseCosignerKey, parseSignerKey, signNote } from "../mod.ts";
 * const log = await parseSignerKey((await generateKeyPair("log.example/1")).signerKey);
 * const { cosigner } = await parseCosignerKey((await generateCosignerKey("witness.example/w1")).signerKey);
 * const note = await signNote("log.example/1\n0\nrkb…=\n", [log.signer]);
 * await cosignNote(note, [cosigner]); // the note with a second line "— witness.example/w1 …"
 * ```
 */
export async function parseCosignerKey(
  text: string,
  now: () => number = Date.now,
): Promise<{ cosigner: NoteSigner; verifierKey: string }> {
  const { name, keyId, seed, verifierKey } = await signerKeyParts(text, ALG_COSIGNATURE_V1);
  const ed = new Ed25519Signer(seed);
  const cosigner: NoteSigner = {
    name,
    keyId,
    async sign(message) {
      const time = Math.floor(now() / 1000);
      const signature = await ed.sign(cosignedMessage(message, time));
      const payload = new Uint8Array(TIME_BYTES + SIGNATURE_BYTES);
      new DataView(payload.buffer).setBigUint64(0, BigInt(time));
      payload.set(signature, TIME_BYTES);
      return payload;
    },
  };
  return { cosigner, verifierKey };
}

/**
 * A verifier of one witness's cosignatures, from its verifier key text (signature type 0x04).
 * Its `verify` takes the note text and the signature line's bytes after the key ID.
 *
 * @example
 * ```ts
 * import { generateCosignerKey, parseCosignerVerifierKey } from "../mod.ts";
 * const witness = await parseCosignerVerifierKey((await generateCosignerKey("witness.example/w1")).verifierKey);
 * witness.name; // "witness.example/w1"
 * ```
 */
export async function parseCosignerVerifierKey(text: string): Promise<NoteVerifier> {
  const { name, keyId, publicKey } = await verifierKeyParts(text, ALG_COSIGNATURE_V1);
  const ed = new Ed25519Verifier(publicKey);
  return {
    name,
    keyId,
    text,
    verify(message, payload) {
      const time = payload.length === TIME_BYTES + SIGNATURE_BYTES ? timeOf(payload) : undefined;
      if (time === undefined) return Promise.resolve(false);
      return ed.verify(cosignedMessage(message, time), payload.subarray(TIME_BYTES));
    },
  };
}

/**
 * The time (POSIX seconds) a cosignature line says it was made at.
 *
 * @example
 * ```ts
 * import { cosignatureTime } from "../mod.ts";
 * const base64 = new Uint8Array([1, 2, 3, 4, 0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00, ...new Uint8Array(64)]).toBase64();
 * cosignatureTime({ name: "w", keyId: 0x01020304, base64 }); // 1700000000
 * ```
 */
export function cosignatureTime(signature: NoteSignature): number {
  const bytes = fromBase64Strict(signature.base64);
  const time = bytes?.length === 4 + TIME_BYTES + SIGNATURE_BYTES ? timeOf(bytes.subarray(4)) : undefined;
  if (time === undefined) {
    throw new NoteError("MALFORMED_NOTE", `signature by ${signature.name} is not a cosignature/v1`);
  }
  return time;
}

/**
 * Checks that every witness in `witnesses` cosigned a note, whether or not the note was opened
 * with the witnesses' keys: `MISSING_COSIGNATURE` names the first with no signature line,
 * `BAD_SIGNATURE` the first whose line does not verify. Returns the witnesses' lines, in order.
 *
 * @example
 * ```ts
 * import { requireCosignatures } from "../mod.ts";
 * await requireCosignatures({ text: "t\n", signatures: [] }, []); // nothing required: []
 * ```
 */
export async function requireCosignatures(
  note: ReadNote,
  witnesses: readonly NoteVerifier[],
): Promise<NoteSignature[]> {
  const message = utf8(note.text);
  const found: NoteSignature[] = [];
  for (const witness of witnesses) {
    const signature = note.signatures.find((s) => s.name === witness.name && s.keyId === witness.keyId);
    if (signature === undefined) {
      throw new NoteError("MISSING_COSIGNATURE", `no cosignature by witness ${witness.name}`);
    }
    if (!(await witness.verify(message, signatureBytes(signature)))) {
      throw new NoteError("BAD_SIGNATURE", `cosignature by witness ${witness.name} does not verify`);
    }
    found.push(signature);
  }
  return found;
}

function cosignedMessage(noteText: Uint8Array, time: number): Uint8Array {
  const head = utf8(`${HEADER}time ${time}\n`);
  const message = new Uint8Array(head.length + noteText.length);
  message.set(head);
  message.set(noteText, head.length);
  return message;
}

/** The payload's timestamp, or `undefined` beyond what a JavaScript number holds exactly. */
function timeOf(payload: Uint8Array): number | undefined {
  const time = new DataView(payload.buffer, payload.byteOffset, TIME_BYTES).getBigUint64(0);
  return time <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(time) : undefined;
}
