/**
 * A checkpoint extension: a newer signed checkpoint with the consistency proof from an older tree
 * size, in the text form of a C2SP `tlog-witness` add-checkpoint request (c2sp.org/tlog-witness):
 *
 *     old <size>
 *     <base64 consistency proof hash, one per line, at most 63>
 *     <blank line>
 *     <checkpoint note, verbatim>
 *
 * Whoever kept a checkpoint of the log (an auditor, a monitor, a witness) checks with it and the
 * log's verifier key alone that the log grew from it without rewriting anything; a `sha256` log's
 * extension can be posted unchanged to a C2SP witness for its cosignature.
 * @module
 */
import { checkpointOfNote, openCheckpoint, type OpenedCheckpoint } from "./checkpoint.ts";
import { NoteError, ProofError } from "./errors.ts";
import { fromBase64Strict, toBase64 } from "./encoding.ts";
import { DIGEST_BYTES } from "./hash.ts";
import type { MerkleHasher } from "./merkle_hasher.ts";
import { verifyConsistency } from "./merkle_verify.ts";
import { type LogKeys, verifiersAt } from "./rotation.ts";

/**
 * Most proof lines an extension carries: C2SP tlog-witness's limit, which no SecuraMem log's
 * consistency proof reaches.
 *
 * @example
 * ```ts
 * import { MAX_EXTENSION_PROOF } from "../mod.ts";
 * MAX_EXTENSION_PROOF; // 63
 * ```
 */
export const MAX_EXTENSION_PROOF = 63;

/** The parts of a checkpoint extension. */
export interface CheckpointExtension {
  /** The tree size the proof starts from: that of the checkpoint the reader holds. */
  readonly oldSize: number;
  /** The consistency proof from `oldSize` to the checkpoint's size, hashes leaf-up. */
  readonly proof: readonly Uint8Array[];
  /** The newer checkpoint's signed note, verbatim. */
  readonly checkpoint: string;
}

/** The two checkpoints an extension proved consistent. */
export interface VerifiedExtension {
  readonly previous: OpenedCheckpoint;
  readonly current: OpenedCheckpoint;
}

/**
 * The text of a checkpoint extension.
 *
 * @example
 * ```ts
 * import { formatCheckpointExtension } from "../mod.ts";
 * formatCheckpointExtension({ oldSize: 0, proof: [], checkpoint: "o\n1\nAAAA\n\n— o AAAA\n" }); // "old 0\n\no\n1\n…"
 * ```
 */
export function formatCheckpointExtension(extension: CheckpointExtension): string {
  if (!Number.isSafeInteger(extension.oldSize) || extension.oldSize < 0) {
    throw malformed(`old size ${extension.oldSize} is not a count`);
  }
  if (extension.proof.length > MAX_EXTENSION_PROOF) {
    throw malformed(`a proof of ${extension.proof.length} hashes is over ${MAX_EXTENSION_PROOF}`);
  }
  const hashes = extension.proof.map((hash) => `${toBase64(hash)}\n`).join("");
  return `old ${extension.oldSize}\n${hashes}\n${extension.checkpoint}`;
}

/**
 * Parses a checkpoint extension strictly; throws `EXTENSION_MALFORMED` with the line. The
 * checkpoint note is split here and opened by `verifyCheckpointExtension`.
 *
 * @example
 * ```ts
 * import { parseCheckpointExtension } from "../mod.ts";
 * parseCheckpointExtension(`old 3\n\no\n4\n${"A".repeat(43)}=\n\n— o AAAA\n`).oldSize; // 3
 * ```
 */
export function parseCheckpointExtension(text: string): CheckpointExtension {
  const blank = text.indexOf("\n\n");
  if (blank < 0) throw malformed("no blank line before the checkpoint");
  const lines = text.slice(0, blank).split("\n");
  const old = /^old (0|[1-9][0-9]*)$/.exec(lines[0]);
  if (old === null || !Number.isSafeInteger(Number(old[1]))) {
    throw malformed("first line must be 'old N'", 1);
  }
  const proofLines = lines.slice(1);
  if (proofLines.length > MAX_EXTENSION_PROOF) {
    throw malformed(`more than ${MAX_EXTENSION_PROOF} proof lines`, 2 + MAX_EXTENSION_PROOF);
  }
  const proof = proofLines.map((line, i) => {
    const hash = fromBase64Strict(line);
    if (hash === undefined || hash.length !== DIGEST_BYTES) {
      throw malformed("proof line is not canonical base64 of 32 bytes", 2 + i);
    }
    return hash;
  });
  const checkpoint = text.slice(blank + 2);
  try {
    checkpointOfNote(checkpoint);
  } catch (error) {
    const line = error instanceof NoteError ? error.where.line : undefined;
    throw malformed(
      `checkpoint: ${error instanceof NoteError ? error.detail : String(error)}`,
      lines.length + 1 + (line ?? 1),
    );
  }
  return { oldSize: Number(old[1]), proof, checkpoint };
}

/**
 * Checks that `extension` grows the log of the checkpoint `previousNote` without rewriting it:
 * both notes signed by a trusted key for their size (a `KeyChain` follows key rotations), the same
 * origin, the proof starting at the previous size (`OLD_SIZE_MISMATCH`), no smaller tree
 * (`SIZE_OUT_OF_RANGE`: a rollback), and the consistency proof leading from the previous root to
 * the new one (`ROOT_MISMATCH`, or a proof-length code; at equal sizes, a different root is a fork).
 *
 * @example
 * ```ts
 * import {
 *   formatCheckpointExtension, generateKeyPair, loadHasher, MemoryNodeStore, MerkleHasher, MerkleTree,
 *   parseCheckpointExtension, parseSignerKey, parseVerifierKey, signCheckpoint, verifyCheckpointExtension,
 * } from "../mod.ts";
 * const mh = new MerkleHasher(await loadHasher("b3"));
 * const keys = await generateKeyPair("audit.example/l-1");
 * const { signer } = await parseSignerKey(keys.signerKey);
 * const tree = new MerkleTree(mh, new MemoryNodeStore());
 * const sign = () => signCheckpoint({ origin: "audit.example/l-1", size: tree.size, root: tree.root(), extensions: [] }, [signer]);
 * for (let i = 0; i < 3; i++) tree.appendEntry(new Uint8Array(32).fill(i));
 * const kept = await sign();
 * for (let i = 3; i < 7; i++) tree.appendEntry(new Uint8Array(32).fill(i));
 * const text = formatCheckpointExtension({ oldSize: 3, proof: tree.consistencyProof(3, 7), checkpoint: await sign() });
 * const { current } = await verifyCheckpointExtension(kept, parseCheckpointExtension(text), [await parseVerifierKey(keys.verifierKey)], mh);
 * current.checkpoint.size; // 7
 * ```
 */
export async function verifyCheckpointExtension(
  previousNote: string,
  extension: CheckpointExtension,
  keys: LogKeys,
  mh: MerkleHasher,
): Promise<VerifiedExtension> {
  const verifiersFor = (note: string) => verifiersAt(keys, checkpointOfNote(note).size);
  const previous = await openCheckpoint(previousNote, verifiersFor(previousNote));
  const current = await openCheckpoint(
    extension.checkpoint,
    verifiersFor(extension.checkpoint),
    previous.checkpoint.origin,
  );
  const [oldSize, newSize] = [previous.checkpoint.size, current.checkpoint.size];
  if (extension.oldSize !== oldSize) {
    throw new ProofError(
      "OLD_SIZE_MISMATCH",
      `the proof starts at size ${extension.oldSize}, the checkpoint held is of size ${oldSize}`,
    );
  }
  if (newSize < oldSize) {
    throw new ProofError(
      "SIZE_OUT_OF_RANGE",
      `the new checkpoint (size ${newSize}) is smaller than the one held (size ${oldSize}): a rollback`,
    );
  }
  try {
    verifyConsistency(
      mh,
      oldSize,
      newSize,
      previous.checkpoint.root,
      current.checkpoint.root,
      extension.proof,
    );
  } catch (error) {
    if (!(error instanceof ProofError) || oldSize !== newSize || error.code !== "ROOT_MISMATCH") throw error;
    throw new ProofError(
      "ROOT_MISMATCH",
      `two signed checkpoints of size ${oldSize} with different roots: a fork`,
    );
  }
  return { previous, current };
}

function malformed(message: string, line?: number): ProofError {
  return new ProofError(
    "EXTENSION_MALFORMED",
    `checkpoint extension ${message}`,
    line === undefined ? {} : { line },
  );
}
