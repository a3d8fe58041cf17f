/**
 * The signer key file (`signer.key`, 0600): the signer key text, plain or encrypted with a
 * passphrase as an age file (core/encrypted_key.ts). An encrypted key is opened only when a
 * passphrase is given; without one the ledger still reads, proves and verifies, and only signing
 * is refused (`KEY_LOCKED`).
 * @module
 */
import {
  decryptSignerKey,
  DEFAULT_KEY_WORK_FACTOR,
  encryptedKeyWorkFactor,
  encryptSignerKey,
  isEncryptedKey,
} from "../core/encrypted_key.ts";
import { KeyError } from "../core/errors.ts";
import { type ParsedSignerKey, parseSignerKey } from "../core/keys.ts";
import { readSecretBytes } from "./files.ts";

/** A passphrase, or a function asked for it only when an encrypted key file must be opened. */
export type Passphrase = string | (() => string | Promise<string>);

/** How a signer key file is encrypted. */
export interface KeyEncryption {
  readonly passphrase: string;
  /** scrypt work factor (log2 N). @default DEFAULT_KEY_WORK_FACTOR */
  readonly workFactor?: number;
}

/** What a signer key file held when it was read. */
export type SignerKeyState =
  | { readonly kind: "missing" }
  | { readonly kind: "locked" }
  | {
    readonly kind: "open";
    readonly key: ParsedSignerKey;
    /** The signer key text (`PRIVATE+KEY+…`). */
    readonly text: string;
    readonly encryption?: KeyEncryption;
  };

/** What a key file held when it was read, its key text not yet parsed. */
export type KeyFileText =
  | { readonly kind: "missing" }
  | { readonly kind: "locked" }
  | { readonly kind: "open"; readonly text: string; readonly encryption?: KeyEncryption };

/** Reads the signer key file at `path`, decrypting it with `passphrase` when it is encrypted and one is given. */
export async function readSignerKeyFile(path: string, passphrase?: Passphrase): Promise<SignerKeyState> {
  const file = await readKeyFileText(path, passphrase);
  return file.kind === "open" ? { ...file, key: await parseSignerKey(file.text) } : file;
}

/**
 * Reads a key file (plain key text, or encrypted as an age file) at `path`: its text, decrypted
 * with `passphrase` when it is encrypted and one is given.
 */
export async function readKeyFileText(path: string, passphrase?: Passphrase): Promise<KeyFileText> {
  const file = readSecretBytes(path);
  if (file === undefined) return { kind: "missing" };
  if (!isEncryptedKey(file)) return { kind: "open", text: new TextDecoder().decode(file).trim() };
  if (passphrase === undefined) return { kind: "locked" };
  const given = typeof passphrase === "string" ? passphrase : await passphrase();
  const text = await decryptSignerKey(file, given).catch((error) => {
    throw error instanceof KeyError ? new KeyError(error.code, `${path}: ${error.detail}`) : error;
  });
  const workFactor = await encryptedKeyWorkFactor(file) ?? DEFAULT_KEY_WORK_FACTOR;
  return { kind: "open", text, encryption: { passphrase: given, workFactor } };
}

/** A passphrase whose function, if it is one, is asked at most once however often the result is needed. */
export function askOnce(passphrase: Passphrase | undefined): Passphrase | undefined {
  if (typeof passphrase !== "function") return passphrase;
  let answer: Promise<string> | undefined;
  return () => answer ??= Promise.resolve(passphrase());
}

/** The text a signer key file holds, without its final newline: the key text itself, or it encrypted. */
export async function signerKeyFileText(keyText: string, encryption?: KeyEncryption): Promise<string> {
  if (encryption === undefined) return keyText;
  return (await encryptSignerKey(keyText, encryption.passphrase, encryption.workFactor)).trimEnd();
}
