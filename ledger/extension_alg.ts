/**
 * Checking a checkpoint extension when the log's hash algorithm is not known: a consistency proof
 * that holds under one hash cannot hold under the other, so the first algorithm under which it
 * holds is the log's.
 * @module
 */
import {
  type CheckpointExtension,
  type VerifiedExtension,
  verifyCheckpointExtension,
} from "../core/checkpoint_extension.ts";
import { ProofError } from "../core/errors.ts";
import type { HashAlg } from "../core/hash.ts";
import { MerkleHasher } from "../core/merkle_hasher.ts";
import type { LogKeys } from "../core/rotation.ts";
import { loadHasher } from "../wasm/hasher.ts";

/** Verifies under `alg`, or when none is given under `b3` and then `sha256`; says which held. */
export async function verifyExtensionUnderAlg(
  previousNote: string,
  extension: CheckpointExtension,
  keys: LogKeys,
  alg: HashAlg | undefined,
): Promise<{ verified: VerifiedExtension; usedAlg: HashAlg }> {
  const candidates: HashAlg[] = alg === undefined ? ["b3", "sha256"] : [alg];
  let firstError: unknown;
  for (const candidate of candidates) {
    try {
      const mh = new MerkleHasher(await loadHasher(candidate));
      return {
        verified: await verifyCheckpointExtension(previousNote, extension, keys, mh),
        usedAlg: candidate,
      };
    } catch (error) {
      if (!(error instanceof ProofError && error.code === "ROOT_MISMATCH")) throw error;
      firstError ??= error;
    }
  }
  throw firstError;
}
