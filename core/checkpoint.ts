/**
 * Checkpoints: C2SP `tlog-checkpoint` bodies signed as notes (SPEC §5).
 *
 *     <origin>
 *     <tree size, decimal, no leading zeros>
 *     <base64 std root hash>
 *     [extension lines, each non-empty]
 *
 * The origin is `<name>/<ledger id>`, fixed at ledger creation.
 * @module
 */
import { NoteError } from "./errors.ts";
import { fromBase64Strict, toBase64 } from "./encoding.ts";
import { DIGEST_BYTES } from "./hash.ts";
import type { NoteSigner, NoteVerifier } from "./keys.ts";
import { type OpenedNote, openNote, signNote, splitNote } from "./note.ts";

/** A tree head. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  readonly extensions: readonly string[];
}

/** A checkpoint whose note was opened with trusted keys. */
export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly note: OpenedNote;
}

/**
 * The note text of a checkpoint.
 *
 * @example
 * ```ts
 * import { formatCheckpoint } from "../mod.ts";
 * formatCheckpoint({ origin: "audit.example/l-1", size: 2, root: new Uint8Array(32), extensions: [] });
 * // "audit.example/l-1\n2\nAAAA…AAA=\n"
 * ```
 */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  if (!isValidOrigin(checkpoint.origin)) {
    throw malformed(`invalid origin ${JSON.stringify(checkpoint.origin)}`);
  }
  if (!Number.isSafeInteger(checkpoint.size) || checkpoint.size < 0) {
    throw malformed(`invalid size ${checkpoint.size}`);
  }
  if (checkpoint.root.length !== DIGEST_BYTES) throw malformed("root must be 32 bytes");
  for (const line of checkpoint.extensions) {
    if (line.length === 0 || line.includes("\n")) {
      throw malformed("extension lines must be non-empty single lines");
    }
  }
  const extensions = checkpoint.extensions.map((line) => `${line}\n`).join("");
  return `${checkpoint.origin}\n${checkpoint.size}\n${toBase64(checkpoint.root)}\n${extensions}`;
}

/**
 * Parses checkpoint note text strictly; throws `MALFORMED_CHECKPOINT`.
 *
 * @example
 * ```ts
 * import { parseCheckpoint } from "../mod.ts";
 * parseCheckpoint(`audit.example/l-1\n2\n${"A".repeat(43)}=\n`).size; // 2
 * ```
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith("\n")) throw malformed("text must end in a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) throw malformed("needs origin, size and root lines");
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!isValidOrigin(origin)) throw malformed(`invalid origin ${JSON.stringify(origin)}`, 1);
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw malformed(`invalid tree size ${JSON.stringify(sizeText)}`, 2);
  }
  const root = fromBase64Strict(rootText);
  if (root === undefined || root.length !== DIGEST_BYTES) {
    throw malformed("root must be canonical base64 of 32 bytes", 3);
  }
  for (const [i, line] of extensions.entries()) {
    if (line.length === 0) throw malformed("extension lines must be non-empty", 4 + i);
  }
  return { origin, size: Number(sizeText), root, extensions };
}

/**
 * The checkpoint a signed note states, read strictly; its signatures are not checked (that is
 * `openCheckpoint`'s work): for choosing keys by size, or naming the log before opening it.
 *
 * @example
 * ```ts
 * import { checkpointOfNote } from "../mod.ts";
 * checkpointOfNote(`audit.example/l-1\n2\n${"A".repeat(43)}=\n\n— k AAAAAAA=\n`).size; // 2
 * ```
 */
export function checkpointOfNote(note: string): Checkpoint {
  return parseCheckpoint(splitNote(note).text);
}

/**
 * Signs a checkpoint with every signer.
 *
 * @example
 * ```ts
 * import { generateKeyPair, parseSignerKey, signCheckpoint } from "../mod.ts";
 * const { signer } = await parseSignerKey((await generateKeyPair("audit.example/l-1")).signerKey);
 * await signCheckpoint({ origin: "audit.example/l-1", size: 0, root: new Uint8Array(32), extensions: [] }, [signer]);
 * ```
 */
export function signCheckpoint(checkpoint: Checkpoint, signers: readonly NoteSigner[]): Promise<string> {
  return signNote(formatCheckpoint(checkpoint), signers);
}

/**
 * Opens a signed checkpoint with trusted keys; `expectedOrigin`, if given, must match.
 *
 * @example
 * ```ts
 * import { generateKeyPair, openCheckpoint, parseSignerKey, parseVerifierKey, signCheckpoint } from "../mod.ts";
 * const keys = await generateKeyPair("audit.example/l-1");
 * const { signer } = await parseSignerKey(keys.signerKey);
 * const note = await signCheckpoint({ origin: "audit.example/l-1", size: 4, root: new Uint8Array(32), extensions: [] }, [signer]);
 * (await openCheckpoint(note, [await parseVerifierKey(keys.verifierKey)])).checkpoint.size; // 4
 * ```
 */
export async function openCheckpoint(
  note: string,
  verifiers: readonly NoteVerifier[],
  expectedOrigin?: string,
): Promise<OpenedCheckpoint> {
  const opened = await openNote(note, verifiers);
  const checkpoint = parseCheckpoint(opened.text);
  if (expectedOrigin !== undefined && checkpoint.origin !== expectedOrigin) {
    throw new NoteError("ORIGIN_MISMATCH", `checkpoint origin ${checkpoint.origin} is not ${expectedOrigin}`);
  }
  return { checkpoint, note: opened };
}

function isValidOrigin(origin: string): boolean {
  return origin.length > 0 && origin.trim() === origin && !origin.includes("\n");
}

function malformed(message: string, line?: number): NoteError {
  return new NoteError("MALFORMED_CHECKPOINT", `checkpoint ${message}`, line === undefined ? {} : { line });
}
