/**
 * A signer key encrypted with a passphrase (SPEC §5: "optionally passphrase-encrypted"): the signer
 * key text encrypted as an age file (age-encryption.org/v1, one scrypt stanza), ASCII-armored.
 * Any age implementation opens it (`age -d signer.key` prints the key text), and a key someone
 * encrypted with `age -p` (armored or not) is read here. The age library is loaded on first use, so
 * commands that never touch an encrypted key do not pay for parsing it.
 * @module
 */
import { KeyError } from "./errors.ts";

/**
 * First line of an ASCII-armored age file, which is what an encrypted `signer.key` holds.
 *
 * @example
 * ```ts
 * import { AGE_ARMOR_HEADER } from "../mod.ts";
 * AGE_ARMOR_HEADER; // "-----BEGIN AGE ENCRYPTED FILE-----"
 * ```
 */
export const AGE_ARMOR_HEADER = "-----BEGIN AGE ENCRYPTED FILE-----";
/** First line of a binary age file. */
const AGE_BINARY_HEADER = "age-encryption.org/v1\n";

/**
 * The scrypt work factor (log2 N) used when none is given: age's own default (~1.2 s and 256 MiB
 * to open a key on this project's machines).
 *
 * @example
 * ```ts
 * import { DEFAULT_KEY_WORK_FACTOR } from "../mod.ts";
 * DEFAULT_KEY_WORK_FACTOR; // 18
 * ```
 */
export const DEFAULT_KEY_WORK_FACTOR = 18;
/**
 * The smallest scrypt work factor accepted when encrypting.
 *
 * @example
 * ```ts
 * import { MIN_KEY_WORK_FACTOR } from "../mod.ts";
 * MIN_KEY_WORK_FACTOR; // 10
 * ```
 */
export const MIN_KEY_WORK_FACTOR = 10;
/**
 * The largest scrypt work factor: the age library refuses to open files above it.
 *
 * @example
 * ```ts
 * import { MAX_KEY_WORK_FACTOR } from "../mod.ts";
 * MAX_KEY_WORK_FACTOR; // 20
 * ```
 */
export const MAX_KEY_WORK_FACTOR = 20;

const ageModule = () => import("age-encryption");

/**
 * True when a key file's bytes are an age file (armored or binary), so opening it needs a passphrase.
 *
 * @example
 * ```ts
 * import { isEncryptedKey } from "../mod.ts";
 * isEncryptedKey(new TextEncoder().encode("-----BEGIN AGE ENCRYPTED FILE-----\n…")); // true
 * isEncryptedKey(new TextEncoder().encode("PRIVATE+KEY+log+c74f20a3+AYEK…")); // false
 * ```
 */
export function isEncryptedKey(file: Uint8Array): boolean {
  const head = new TextDecoder().decode(file.subarray(0, 64)).trimStart();
  return head.startsWith(AGE_ARMOR_HEADER) || head.startsWith(AGE_BINARY_HEADER);
}

/**
 * Encrypts a signer key text with a passphrase; returns the armored age file (ends with a newline).
 * Throws `BAD_PASSPHRASE` for an empty passphrase and `BAD_WORK_FACTOR` outside 10–20.
 *
 * @example
 * ```ts
 * import { encryptSignerKey } from "../mod.ts";
 * const encrypted = await encryptSignerKey("PRIVATE+KEY+log+c74f20a3+AYEK…", "correct horse battery", 10);
 * encrypted.startsWith("-----BEGIN AGE ENCRYPTED FILE-----\n"); // true
 * ```
 */
export async function encryptSignerKey(
  signerKey: string,
  passphrase: string,
  workFactor: number = DEFAULT_KEY_WORK_FACTOR,
): Promise<string> {
  checkPassphrase(passphrase);
  if (!Number.isInteger(workFactor) || workFactor < MIN_KEY_WORK_FACTOR || workFactor > MAX_KEY_WORK_FACTOR) {
    throw new KeyError(
      "BAD_WORK_FACTOR",
      `scrypt work factor must be an integer ${MIN_KEY_WORK_FACTOR}–${MAX_KEY_WORK_FACTOR}, got ${workFactor}`,
    );
  }
  const age = await ageModule();
  const encrypter = new age.Encrypter();
  encrypter.setPassphrase(passphrase);
  encrypter.setScryptWorkFactor(workFactor);
  return age.armor.encode(await encrypter.encrypt(`${signerKey}\n`));
}

/**
 * Decrypts an encrypted key file (armored or binary age) with its passphrase; returns the signer key text.
 * Throws `BAD_PASSPHRASE` when the passphrase does not open it and `ENCRYPTED_KEY_MALFORMED` when the
 * file is not a well-formed age file or its contents were altered.
 *
 * @example
 * ```ts
 * import { decryptSignerKey, encryptSignerKey } from "../mod.ts";
 * const encrypted = await encryptSignerKey("PRIVATE+KEY+log+c74f20a3+AYEK…", "correct horse battery", 10);
 * await decryptSignerKey(new TextEncoder().encode(encrypted), "correct horse battery"); // "PRIVATE+KEY+log+c74f20a3+AYEK…"
 * ```
 */
export async function decryptSignerKey(file: Uint8Array, passphrase: string): Promise<string> {
  checkPassphrase(passphrase);
  const age = await ageModule();
  const binary = ageBytes(file, age.armor.decode);
  const decrypter = new age.Decrypter();
  decrypter.addPassphrase(passphrase);
  let text: string;
  try {
    text = await decrypter.decrypt(binary, "text");
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/no identity matched/.test(message)) {
      throw new KeyError("BAD_PASSPHRASE", "the passphrase does not open the encrypted signer key");
    }
    throw new KeyError("ENCRYPTED_KEY_MALFORMED", `encrypted signer key: ${message}`);
  }
  return text.trim();
}

/**
 * The scrypt work factor an encrypted key file was made with (so a rotated key is encrypted as
 * hard), or `undefined` when its header holds no scrypt stanza.
 *
 * @example
 * ```ts
 * import { encryptedKeyWorkFactor, encryptSignerKey } from "../mod.ts";
 * const encrypted = await encryptSignerKey("PRIVATE+KEY+log+c74f20a3+AYEK…", "correct horse battery", 11);
 * await encryptedKeyWorkFactor(new TextEncoder().encode(encrypted)); // 11
 * ```
 */
export async function encryptedKeyWorkFactor(file: Uint8Array): Promise<number | undefined> {
  const age = await ageModule();
  const binary = ageBytes(file, age.armor.decode);
  const header = new TextDecoder().decode(binary.subarray(0, 512));
  const match = /^-> scrypt \S+ (\d+)$/m.exec(header);
  return match === null ? undefined : Number(match[1]);
}

/** The binary age file of a key file's bytes, de-armored when armored. */
function ageBytes(file: Uint8Array, dearmor: (text: string) => Uint8Array): Uint8Array {
  const text = new TextDecoder().decode(file);
  if (!text.trimStart().startsWith(AGE_ARMOR_HEADER)) return file;
  try {
    return dearmor(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new KeyError("ENCRYPTED_KEY_MALFORMED", `encrypted signer key armor: ${message}`);
  }
}

function checkPassphrase(passphrase: string): void {
  if (passphrase.length === 0) throw new KeyError("BAD_PASSPHRASE", "the passphrase is empty");
}
