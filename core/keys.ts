/**
 * Signer and verifier keys in the text forms of Go's `golang.org/x/mod/sumdb/note` (SPEC §5):
 *
 *     verifier: <name>+<key ID hex>+<base64(0x01 || 32-byte public key)>
 *     signer:   PRIVATE+KEY+<name>+<key ID hex>+<base64(0x01 || 32-byte seed)>
 *
 * key ID = first 4 bytes (big-endian) of SHA-256(name || 0x0A || 0x01 || public key).
 * Parsing is strict: lowercase 8-digit hex, canonical base64, the key ID must match the key.
 * @module
 */
import { type Ed25519Engine, Ed25519Signer, Ed25519Verifier, publicKeyFromSeed } from "./ed25519.ts";
import { KeyError } from "./errors.ts";
import { concatBytes, fromBase64Strict, toBase64, utf8 } from "./encoding.ts";

/** Algorithm byte of Ed25519 keys in note key texts. */
export const ALG_ED25519 = 0x01;
/** Algorithm byte of Ed25519 cosigner keys (C2SP tlog-cosignature, `cosignature/v1`). */
export const ALG_COSIGNATURE_V1 = 0x04;

/** Something that signs notes under a name and key ID. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** Something that verifies note signatures of one name and key ID. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  /** The verifier key text this verifier was made from. */
  readonly text: string;
  verify(message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

/** A freshly generated key pair, as texts. */
export interface KeyPairText {
  readonly signerKey: string;
  readonly verifierKey: string;
}

const SPACE_RE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/**
 * A key name is non-empty, well-formed, without white space or `+` (as Go's note package).
 *
 * @example
 * ```ts
 * import { isValidKeyName } from "../mod.ts";
 * isValidKeyName("audit.example/ledger-1"); // true
 * isValidKeyName("has space"); // false
 * ```
 */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && name.isWellFormed() && !SPACE_RE.test(name) && !name.includes("+");
}

/** The 4-byte key ID of `name` and a 0x01-prefixed public key, as an unsigned integer. */
export async function computeKeyId(name: string, algAndKey: Uint8Array): Promise<number> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    concatBytes(utf8(name), new Uint8Array([0x0a]), algAndKey) as Uint8Array<ArrayBuffer>,
  );
  return new DataView(digest).getUint32(0);
}

/**
 * Generates an Ed25519 key pair for `name`.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from "../mod.ts";
 * const { signerKey, verifierKey } = await generateKeyPair("audit.example/ledger-1");
 * verifierKey.startsWith("audit.example/ledger-1+"); // true
 * signerKey.startsWith("PRIVATE+KEY+"); // true
 * ```
 */
export async function generateKeyPair(name: string): Promise<KeyPairText> {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  return await keyPairFromSeed(name, seed);
}

/**
 * The key texts of `name` with a given 32-byte seed.
 *
 * @example
 * ```ts
 * import { keyPairFromSeed } from "../mod.ts";
 * const pair = await keyPairFromSeed("log.example.org/ledger-1", new Uint8Array(32).fill(7));
 * pair.verifierKey; // "log.example.org/ledger-1+e90521f2+AepKbGPi…"
 * ```
 */
export async function keyPairFromSeed(
  name: string,
  seed: Uint8Array,
  alg = ALG_ED25519,
): Promise<KeyPairText> {
  checkName(name);
  const publicKey = await publicKeyFromSeed(seed);
  const algPublic = concatBytes(new Uint8Array([alg]), publicKey);
  const id = keyIdHex(await computeKeyId(name, algPublic));
  const algSeed = concatBytes(new Uint8Array([alg]), seed);
  return {
    signerKey: `PRIVATE+KEY+${name}+${id}+${toBase64(algSeed)}`,
    verifierKey: `${name}+${id}+${toBase64(algPublic)}`,
  };
}

/**
 * The verifier key text of `name` and a raw 32-byte public key.
 *
 * @example
 * ```ts
 * import { formatVerifierKey } from "../mod.ts";
 * const publicKey = Uint8Array.fromHex("ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c");
 * await formatVerifierKey("log.example.org/ledger-1", publicKey); // "log.example.org/ledger-1+e90521f2+…"
 * ```
 */
export async function formatVerifierKey(name: string, publicKey: Uint8Array): Promise<string> {
  checkName(name);
  const algPublic = concatBytes(new Uint8Array([ALG_ED25519]), publicKey);
  return `${name}+${keyIdHex(await computeKeyId(name, algPublic))}+${toBase64(algPublic)}`;
}

/**
 * Parses a verifier key text; throws `BAD_KEY`, `KEY_ID_MISMATCH`, `UNKNOWN_KEY_ALG`, `SMALL_ORDER_KEY`.
 *
 * @example
 * ```ts
 * import { parseVerifierKey } from "../mod.ts";
 * const verifier = await parseVerifierKey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
 * verifier.name; // "PeterNeumann"
 * ```
 */
export async function parseVerifierKey(text: string, engine?: Ed25519Engine): Promise<NoteVerifier> {
  const { name, keyId, publicKey } = await verifierKeyParts(text, ALG_ED25519);
  const ed = new Ed25519Verifier(publicKey, engine);
  return { name, keyId, text, verify: (message, signature) => ed.verify(message, signature) };
}

/** The name, key ID and public key of a verifier key text whose algorithm byte is `alg`. */
export async function verifierKeyParts(
  text: string,
  alg: number,
): Promise<{ name: string; keyId: number; publicKey: Uint8Array }> {
  const [name, idHex, keyB64] = splitKeyText(text, 3, "verifier key");
  const algKey = decodeKeyBytes(keyB64, "verifier key", alg);
  const keyId = await checkKeyId(name, idHex, algKey, "verifier key");
  return { name, keyId, publicKey: algKey.subarray(1) };
}

/** A parsed signer key: the signer and its public half. */
export interface ParsedSignerKey {
  readonly signer: NoteSigner;
  readonly verifierKey: string;
  readonly publicKey: Uint8Array;
}

/**
 * Parses a signer key text; the key ID must match the public key derived from the seed.
 *
 * @example
 * ```ts
 * import { parseSignerKey } from "../mod.ts";
 * const { signer, verifierKey } = await parseSignerKey(
 *   "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
 * );
 * signer.name; // "PeterNeumann"
 * verifierKey; // "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
 * ```
 */
export async function parseSignerKey(text: string, engine?: Ed25519Engine): Promise<ParsedSignerKey> {
  const { name, keyId, seed, publicKey, verifierKey } = await signerKeyParts(text, ALG_ED25519);
  const ed = new Ed25519Signer(seed, engine);
  return { signer: { name, keyId, sign: (message) => ed.sign(message) }, verifierKey, publicKey };
}

/** The parts of a signer key text whose algorithm byte is `alg`, and its verifier key text. */
export async function signerKeyParts(text: string, alg: number): Promise<
  { name: string; keyId: number; seed: Uint8Array; publicKey: Uint8Array; verifierKey: string }
> {
  const [priv, keyWord, name, idHex, keyB64] = splitKeyText(text, 5, "signer key");
  if (priv !== "PRIVATE" || keyWord !== "KEY") {
    throw new KeyError("BAD_KEY", "signer key must start with PRIVATE+KEY+");
  }
  const seed = decodeKeyBytes(keyB64, "signer key", alg).slice(1);
  const publicKey = await publicKeyFromSeed(seed);
  const algPublic = concatBytes(new Uint8Array([alg]), publicKey);
  const keyId = await checkKeyId(name, idHex, algPublic, "signer key");
  return { name, keyId, seed, publicKey, verifierKey: `${name}+${idHex}+${toBase64(algPublic)}` };
}

/**
 * Eight lowercase hex digits of a key ID.
 *
 * @example
 * ```ts
 * import { keyIdHex } from "../mod.ts";
 * keyIdHex(0xc74f20a3); // "c74f20a3"
 * ```
 */
export function keyIdHex(keyId: number): string {
  return keyId.toString(16).padStart(8, "0");
}

function splitKeyText(text: string, fields: number, what: string): string[] {
  // The base64 key may itself hold '+', so split off only the fields before it.
  const parts: string[] = [];
  let rest = text;
  for (let i = 0; i < fields - 1; i++) {
    const plus = rest.indexOf("+");
    if (plus < 0) throw new KeyError("BAD_KEY", `${what} has too few '+'-separated fields`);
    parts.push(rest.slice(0, plus));
    rest = rest.slice(plus + 1);
  }
  parts.push(rest);
  const name = parts[fields - 3];
  if (!isValidKeyName(name)) {
    throw new KeyError("BAD_KEY", `${what} has an invalid name ${JSON.stringify(name)}`);
  }
  if (!/^[0-9a-f]{8}$/.test(parts[fields - 2])) {
    throw new KeyError("BAD_KEY", `${what} key ID must be 8 lowercase hex digits`);
  }
  return parts;
}

const ALG_NAMES: Record<number, string> = {
  [ALG_ED25519]: "Ed25519 (1)",
  [ALG_COSIGNATURE_V1]: "Ed25519 cosignature/v1 (4)",
};

function decodeKeyBytes(b64: string, what: string, alg: number): Uint8Array {
  const bytes = fromBase64Strict(b64);
  if (bytes === undefined || bytes.length === 0) {
    throw new KeyError("BAD_KEY", `${what} is not canonical base64`);
  }
  if (bytes[0] !== alg) {
    throw new KeyError("UNKNOWN_KEY_ALG", `${what} algorithm ${bytes[0]} is not ${ALG_NAMES[alg]}`);
  }
  if (bytes.length !== 33) {
    throw new KeyError("BAD_KEY", `${what} must hold 32 key bytes, got ${bytes.length - 1}`);
  }
  return bytes;
}

async function checkKeyId(name: string, idHex: string, algPublic: Uint8Array, what: string): Promise<number> {
  const keyId = await computeKeyId(name, algPublic);
  if (keyIdHex(keyId) !== idHex) {
    throw new KeyError("KEY_ID_MISMATCH", `${what} ID ${idHex} does not match its key (${keyIdHex(keyId)})`);
  }
  return keyId;
}

function checkName(name: string): void {
  if (!isValidKeyName(name)) throw new KeyError("BAD_KEY", `invalid key name ${JSON.stringify(name)}`);
}
