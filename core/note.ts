/**
 * C2SP signed notes (SPEC §5), as Go's `golang.org/x/mod/sumdb/note`:
 *
 *     <text, ending in a newline>
 *     <blank line>
 *     — <key name> <base64(4-byte key ID || signature)>
 *     …one line per signature
 *
 * Worked example (the package's documented key, vectors/public/signed-notes.json):
 *
 *     If you think cryptography is the answer to your problem,
 *     then you don't know what your problem is.
 *
 *     — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=
 *
 * Opening is strict: valid UTF-8 without control characters but newline, canonical base64, at most
 * 100 signature lines, no key signing twice. Signatures by unknown keys are kept as unverified; a
 * bad signature by a known key is `BAD_SIGNATURE`; no signature by a known key is `UNVERIFIED_NOTE`.
 * @module
 */
import { NoteError } from "./errors.ts";
import { fromBase64Strict, toBase64, utf8 } from "./encoding.ts";
import { isValidKeyName, keyIdHex, type NoteSigner, type NoteVerifier } from "./keys.ts";

/** One signature line of a note. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** base64 of key ID || signature, as written. */
  readonly base64: string;
}

/** A note read strictly, its signatures not yet checked. */
export interface ReadNote {
  readonly text: string;
  /** Every signature line, in order. */
  readonly signatures: readonly NoteSignature[];
}

/** A note whose text was verified by at least one known key. */
export interface OpenedNote extends ReadNote {
  readonly verified: readonly NoteSignature[];
  readonly unverified: readonly NoteSignature[];
}

const SIG_PREFIX = "— ";
const MAX_SIGNATURES = 100;
// deno-lint-ignore no-control-regex
const CONTROL_RE = /[\x00-\x09\x0b-\x1f]/;

/**
 * Signs `text` (which must end in a newline) with every signer, in order.
 *
 * @example
 * ```ts
 * import { generateKeyPair, parseSignerKey, signNote } from "../mod.ts";
 * const { signer } = await parseSignerKey((await generateKeyPair("notary")).signerKey);
 * await signNote("hello\n", [signer]); // "hello\n\n— notary …\n"
 * ```
 */
export async function signNote(text: string, signers: readonly NoteSigner[]): Promise<string> {
  checkText(text);
  if (signers.length === 0) throw new NoteError("MALFORMED_NOTE", "a note needs at least one signer");
  const message = utf8(text);
  let lines = "";
  for (const signer of signers) {
    if (!isValidKeyName(signer.name)) {
      throw new NoteError("MALFORMED_NOTE", `invalid signer name ${JSON.stringify(signer.name)}`);
    }
    const signature = await signer.sign(message);
    const payload = new Uint8Array(4 + signature.length);
    new DataView(payload.buffer).setUint32(0, signer.keyId);
    payload.set(signature, 4);
    lines += signatureLine({ name: signer.name, keyId: signer.keyId, base64: toBase64(payload) });
  }
  return `${text}\n${lines}`;
}

/**
 * Adds signatures (e.g. a witness's cosignature) to an already signed note.
 *
 * @example
 * ```ts
 * import { cosignNote, generateKeyPair, parseSignerKey, signNote } from "../mod.ts";
 * const log = await parseSignerKey((await generateKeyPair("log")).signerKey);
 * const witness = await parseSignerKey((await generateKeyPair("witness")).signerKey);
 * await cosignNote(await signNote("hello\n", [log.signer]), [witness.signer]); // two signature lines
 * ```
 */
export async function cosignNote(note: string, signers: readonly NoteSigner[]): Promise<string> {
  const { text, signatureBlock } = splitNote(note);
  const added = await signNote(text, signers);
  return `${text}\n${signatureBlock}${added.slice(text.length + 1)}`;
}

/**
 * Opens a note, verifying the signatures of known keys.
 *
 * @example
 * ```ts
 * import { generateKeyPair, openNote, parseSignerKey, parseVerifierKey, signNote } from "../mod.ts";
 * const keys = await generateKeyPair("notary");
 * const note = await signNote("hello\n", [(await parseSignerKey(keys.signerKey)).signer]);
 * (await openNote(note, [await parseVerifierKey(keys.verifierKey)])).text; // "hello\n"
 * ```
 */
export async function openNote(note: string, verifiers: readonly NoteVerifier[]): Promise<OpenedNote> {
  const { text, signatures } = readNote(note);
  const message = utf8(text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  for (const [i, signature] of signatures.entries()) {
    const known = verifiers.filter((v) => v.name === signature.name && v.keyId === signature.keyId);
    const id = `${signature.name}+${keyIdHex(signature.keyId)}`;
    if (known.length > 1) throw new NoteError("AMBIGUOUS_KEY", `more than one trusted key is ${id}`);
    if (known.length === 0) {
      unverified.push(signature);
    } else if (await known[0].verify(message, signatureBytes(signature))) {
      verified.push(signature);
    } else {
      throw new NoteError("BAD_SIGNATURE", `signature by ${id} does not verify`, { line: i + 1 });
    }
  }
  if (verified.length === 0) {
    const names = unverified.map((s) => `${s.name}+${keyIdHex(s.keyId)}`).join(", ");
    throw new NoteError("UNVERIFIED_NOTE", `no signature by a trusted key (signed by: ${names})`);
  }
  return { text, signatures, verified, unverified };
}

/**
 * Reads a note strictly without checking any signature: its text and its signature lines.
 *
 * @example
 * ```ts
 * import { readNote } from "../mod.ts";
 * readNote("text\n\n— k AAAAAAA=\n").signatures[0].name; // "k"
 * ```
 */
export function readNote(note: string): ReadNote {
  const { text, signatureBlock } = splitNote(note);
  const lines = signatureBlock.slice(0, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) {
    throw new NoteError("MALFORMED_NOTE", `more than ${MAX_SIGNATURES} signatures`);
  }
  const seen = new Set<string>();
  const signatures = lines.map((line, i) => {
    const signature = parseSignatureLine(line, i + 1);
    const id = `${signature.name}+${keyIdHex(signature.keyId)}`;
    if (seen.has(id)) throw new NoteError("MALFORMED_NOTE", `key ${id} signs twice`, { line: i + 1 });
    seen.add(id);
    return signature;
  });
  return { text, signatures };
}

/**
 * The text of a signature line, ending in a newline.
 *
 * @example
 * ```ts
 * import { signatureLine } from "../mod.ts";
 * signatureLine({ name: "k", keyId: 0, base64: "AAAAAAE=" }); // "— k AAAAAAE=\n"
 * ```
 */
export function signatureLine(signature: NoteSignature): string {
  return `${SIG_PREFIX}${signature.name} ${signature.base64}\n`;
}

/**
 * The signature bytes of a signature line (after its 4-byte key ID).
 *
 * @example
 * ```ts
 * import { signatureBytes } from "../mod.ts";
 * signatureBytes({ name: "k", keyId: 0, base64: "AAAAAAE=" }); // Uint8Array [1]
 * ```
 */
export function signatureBytes(signature: NoteSignature): Uint8Array {
  const bytes = fromBase64Strict(signature.base64);
  if (bytes === undefined || bytes.length < 5) {
    throw new NoteError(
      "MALFORMED_NOTE",
      `signature by ${signature.name} is not base64 of key ID || signature`,
    );
  }
  return bytes.subarray(4);
}

/**
 * Splits a note into its text and its signature block (both ending in a newline).
 *
 * @example
 * ```ts
 * import { splitNote } from "../mod.ts";
 * splitNote("text\n\n— k AAAAAAA=\n").text; // "text\n"
 * ```
 */
export function splitNote(note: string): { text: string; signatureBlock: string } {
  if (!note.isWellFormed() || CONTROL_RE.test(note)) {
    throw new NoteError("MALFORMED_NOTE", "note holds a control character or invalid UTF-16");
  }
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new NoteError("MALFORMED_NOTE", "note has no blank line before its signatures");
  const text = note.slice(0, split + 1);
  const signatureBlock = note.slice(split + 2);
  if (signatureBlock.length === 0 || !signatureBlock.endsWith("\n")) {
    throw new NoteError("MALFORMED_NOTE", "signature block must be non-empty and end in a newline");
  }
  return { text, signatureBlock };
}

function parseSignatureLine(line: string, lineNo: number): NoteSignature {
  const where = { line: lineNo };
  if (!line.startsWith(SIG_PREFIX)) {
    throw new NoteError("MALFORMED_NOTE", "signature line must start with '— '", where);
  }
  const body = line.slice(SIG_PREFIX.length);
  const space = body.indexOf(" ");
  const name = space < 0 ? body : body.slice(0, space);
  const base64 = space < 0 ? "" : body.slice(space + 1);
  const bytes = fromBase64Strict(base64);
  if (!isValidKeyName(name) || bytes === undefined || bytes.length < 5) {
    throw new NoteError("MALFORMED_NOTE", "signature line must be '— <name> <base64>'", where);
  }
  const keyId = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
  return { name, keyId, base64 };
}

function checkText(text: string): void {
  if (!text.endsWith("\n") || !text.isWellFormed() || CONTROL_RE.test(text)) {
    throw new NoteError("MALFORMED_NOTE", "note text must be valid text ending in a newline");
  }
}
