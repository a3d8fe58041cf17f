/**
 * Key rotation statements and the key chain that follows them from a trusted first key.
 *
 * A rotation is a C2SP signed note signed by both the old and the new key:
 *
 *     securamem/key-rotation/v1
 *     <origin>
 *     leaf <index of the KeyRotated record>
 *     <old verifier key>
 *     <new verifier key>
 *
 * The old key vouches for the new one and the new one proves its holder took part. The old key
 * signs checkpoints up to and including size leaf + 1 (the rotation's own commit, which both
 * sign); the new key from size leaf + 1 on.
 * @module
 */
import { NoteError } from "./errors.ts";
import { type NoteSigner, type NoteVerifier, parseVerifierKey } from "./keys.ts";
import { openNote, signNote } from "./note.ts";

/**
 * First line of a rotation statement.
 *
 * @example
 * ```ts
 * import { ROTATION_HEADER } from "../mod.ts";
 * ROTATION_HEADER; // "securamem/key-rotation/v1"
 * ```
 */
export const ROTATION_HEADER = "securamem/key-rotation/v1";

/** What a verified rotation says. */
export interface Rotation {
  readonly origin: string;
  readonly leaf: number;
  readonly oldKey: string;
  readonly newKey: string;
}

/**
 * Signs a rotation statement with the old and the new signer.
 *
 * @example
 * ```ts
 * import { generateKeyPair, KeyChain, openRotation, parseSignerKey, parseVerifierKey, signRotation } from "../mod.ts";
 * const a = await parseSignerKey((await generateKeyPair("audit.example/l-1")).signerKey);
 * const b = await parseSignerKey((await generateKeyPair("audit.example/l-1")).signerKey);
 * const statement = await signRotation(
 *   { origin: "audit.example/l-1", leaf: 9, oldKey: a.verifierKey, newKey: b.verifierKey },
 *   a.signer,
 *   b.signer,
 * );
 * statement.startsWith("securamem/key-rotation/v1\n"); // true
 * ```
 */
export function signRotation(
  rotation: Rotation,
  oldSigner: NoteSigner,
  newSigner: NoteSigner,
): Promise<string> {
  const text =
    `${ROTATION_HEADER}\n${rotation.origin}\nleaf ${rotation.leaf}\n${rotation.oldKey}\n${rotation.newKey}\n`;
  return signNote(text, [oldSigner, newSigner]);
}

/**
 * Reads a rotation statement; both keys must have signed it. Throws `BAD_ROTATION` or a note error.
 *
 * @example
 * ```ts
 * import { generateKeyPair, KeyChain, openRotation, parseSignerKey, parseVerifierKey, signRotation } from "../mod.ts";
 * const a = await parseSignerKey((await generateKeyPair("audit.example/l-1")).signerKey);
 * const b = await parseSignerKey((await generateKeyPair("audit.example/l-1")).signerKey);
 * const statement = await signRotation(
 *   { origin: "audit.example/l-1", leaf: 9, oldKey: a.verifierKey, newKey: b.verifierKey },
 *   a.signer,
 *   b.signer,
 * );
 * (await openRotation(statement)).rotation.leaf; // 9
 * ```
 */
export async function openRotation(note: string): Promise<{ rotation: Rotation; newVerifier: NoteVerifier }> {
  const text = note.slice(0, note.lastIndexOf("\n\n") + 1);
  const lines = text.split("\n");
  const leaf = /^leaf (0|[1-9][0-9]*)$/.exec(lines[2] ?? "");
  if (lines.length !== 6 || lines[0] !== ROTATION_HEADER || leaf === null) {
    throw new NoteError("BAD_ROTATION", "not a securamem/key-rotation/v1 statement");
  }
  const rotation = { origin: lines[1], leaf: Number(leaf[1]), oldKey: lines[3], newKey: lines[4] };
  const oldVerifier = await parseVerifierKey(rotation.oldKey);
  const newVerifier = await parseVerifierKey(rotation.newKey);
  const opened = await openNote(note, [oldVerifier, newVerifier]);
  if (opened.verified.length !== 2) {
    throw new NoteError("BAD_ROTATION", "a rotation must be signed by both the old and the new key");
  }
  return { rotation, newVerifier };
}

/** A log's trusted keys: fixed, or a `KeyChain` that follows its rotations. */
export type LogKeys = KeyChain | readonly NoteVerifier[];

/** The keys of `keys` that may sign a checkpoint of `size` leaves. */
export function verifiersAt(keys: LogKeys, size: number): readonly NoteVerifier[] {
  return keys instanceof KeyChain ? keys.verifiersFor(size) : keys;
}

/**
 * The keys of one log over time, starting from keys the reader trusts.
 *
 * @example
 * ```ts
 * import { generateKeyPair, KeyChain, openRotation, parseSignerKey, parseVerifierKey, signRotation } from "../mod.ts";
 * const a = await parseSignerKey((await generateKeyPair("audit.example/l-1")).signerKey);
 * const b = await parseSignerKey((await generateKeyPair("audit.example/l-1")).signerKey);
 * const statement = await signRotation(
 *   { origin: "audit.example/l-1", leaf: 9, oldKey: a.verifierKey, newKey: b.verifierKey },
 *   a.signer,
 *   b.signer,
 * );
 * const chain = new KeyChain([await parseVerifierKey(a.verifierKey)]);
 * await chain.rotate(statement);
 * chain.verifiersFor(20).map((v) => v.text); // [b.verifierKey]
 * ```
 */
export class KeyChain {
  private readonly windows: { verifier: NoteVerifier; from: number; to: number }[];

  /** @param trusted the first key(s), trusted for every size until a rotation retires them. */
  constructor(trusted: readonly NoteVerifier[]) {
    this.windows = trusted.map((verifier) => ({ verifier, from: 0, to: Number.MAX_SAFE_INTEGER }));
  }

  /** Accepts a rotation whose old key is the current key; throws `BAD_ROTATION` otherwise. */
  async rotate(note: string, origin?: string): Promise<Rotation> {
    const { rotation, newVerifier } = await openRotation(note);
    if (origin !== undefined && rotation.origin !== origin) {
      throw new NoteError("BAD_ROTATION", `rotation of another log (${rotation.origin})`);
    }
    const current = this.windows.find((w) =>
      w.verifier.text === rotation.oldKey && w.to === Number.MAX_SAFE_INTEGER
    );
    if (current === undefined) {
      throw new NoteError(
        "BAD_ROTATION",
        `rotation from a key that is not the current trusted key: ${rotation.oldKey}`,
      );
    }
    current.to = rotation.leaf + 1;
    this.windows.push({ verifier: newVerifier, from: rotation.leaf + 1, to: Number.MAX_SAFE_INTEGER });
    return rotation;
  }

  /** The keys that may sign a checkpoint of `size` leaves. */
  verifiersFor(size: number): NoteVerifier[] {
    return this.windows.filter((w) => w.from <= size && size <= w.to).map((w) => w.verifier);
  }

  /** The newest key. */
  get current(): NoteVerifier {
    return this.windows[this.windows.length - 1].verifier;
  }
}
