/**
 * Verification of RFC 9162 §2.1.3.2 inclusion proofs and §2.1.4.2 consistency proofs. Sizes are
 * JavaScript integers up to 2^53−1, so the bit operations of the RFC are written as arithmetic.
 * @module
 */
import { ProofError } from "./errors.ts";
import { bytesEqual, toHex } from "./encoding.ts";
import type { MerkleHasher } from "./merkle_hasher.ts";
import { DIGEST_BYTES } from "./hash.ts";
import { ByteSlab } from "./byte_slab.ts";

/** The running hashes of proof checks: views of a slab, not arrays of their own (see byte_slab.ts). */
const RUNNING = new ByteSlab(128 * DIGEST_BYTES);

function copyOf(digest: Uint8Array): Uint8Array {
  const copy = RUNNING.take(DIGEST_BYTES);
  copy.set(digest);
  return copy;
}

/**
 * Root computed from an inclusion proof; throws `INDEX_OUT_OF_RANGE`, `PROOF_TOO_LONG`, `PROOF_TOO_SHORT`.
 *
 * @example
 * ```ts
 * import { loadHasher, MerkleHasher, rootFromInclusionProof } from "../mod.ts";
 * const mh = new MerkleHasher(await loadHasher("b3"));
 * const leaf = mh.leaf(new Uint8Array(32));
 * rootFromInclusionProof(mh, 0, 1, leaf, []); // the leaf itself is the root of a one-leaf tree
 * ```
 */
export function rootFromInclusionProof(
  mh: MerkleHasher,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new ProofError("INDEX_OUT_OF_RANGE", `not in a tree of ${size}`, {
      leafIndex: index,
    });
  }
  checkDigests([leafHash, ...proof]);
  let fn = index;
  let sn = size - 1;
  const r = copyOf(leafHash);
  for (const p of proof) {
    if (sn === 0) {
      throw new ProofError("PROOF_TOO_LONG", `inclusion proof has ${proof.length} hashes, too many`, {
        leafIndex: index,
      });
    }
    if (fn % 2 === 1 || fn === sn) {
      mh.nodeInto(p, r, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      mh.nodeInto(r, p, r);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) {
    throw new ProofError("PROOF_TOO_SHORT", `inclusion proof has ${proof.length} hashes, too few`, {
      leafIndex: index,
    });
  }
  return r;
}

/**
 * Checks that `leafHash` is leaf `index` of the tree of `size` leaves with root `root`.
 *
 * @example
 * ```ts
 * import { loadHasher, MemoryNodeStore, MerkleHasher, MerkleTree, verifyInclusion } from "../mod.ts";
 * const mh = new MerkleHasher(await loadHasher("sha256"));
 * const tree = new MerkleTree(mh, new MemoryNodeStore());
 * const leaf = tree.appendEntry(new Uint8Array(32));
 * tree.appendEntry(new Uint8Array(32).fill(1));
 * verifyInclusion(mh, 0, 2, leaf, tree.inclusionProof(0), tree.root());
 * ```
 */
export function verifyInclusion(
  mh: MerkleHasher,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  const calculated = rootFromInclusionProof(mh, index, size, leafHash, proof);
  if (!bytesEqual(calculated, root)) {
    throw rootMismatch("inclusion proof", root, calculated, index);
  }
}

/**
 * Checks that the tree of `oldSize` with `oldRoot` is a prefix of the tree of `newSize` with `newRoot`.
 *
 * @example
 * ```ts
 * import { loadHasher, MemoryNodeStore, MerkleHasher, MerkleTree, verifyConsistency } from "../mod.ts";
 * const mh = new MerkleHasher(await loadHasher("b3"));
 * const tree = new MerkleTree(mh, new MemoryNodeStore());
 * for (let i = 0; i < 5; i++) tree.appendEntry(new Uint8Array(32).fill(i));
 * verifyConsistency(mh, 3, 5, tree.rootAt(3), tree.root(), tree.consistencyProof(3, 5));
 * ```
 */
export function verifyConsistency(
  mh: MerkleHasher,
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) {
    throw new ProofError("SIZE_OUT_OF_RANGE", `old size ${oldSize} is outside 0…${newSize}`);
  }
  if (oldSize === 0 || oldSize === newSize) {
    if (proof.length !== 0) {
      throw new ProofError("PROOF_TOO_LONG", `consistency proof from ${oldSize} to ${newSize} must be empty`);
    }
    const expected = oldSize === 0 ? mh.empty() : newRoot;
    if (!bytesEqual(oldRoot, expected)) throw rootMismatch("old root", expected, oldRoot);
    return;
  }
  if (proof.length === 0) throw new ProofError("PROOF_TOO_SHORT", "consistency proof is empty");
  checkDigests([oldRoot, newRoot, ...proof]);
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  const fr = copyOf(path[0]);
  const sr = copyOf(path[0]);
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (sn === 0) {
      throw new ProofError("PROOF_TOO_LONG", `consistency proof has ${proof.length} hashes, too many`);
    }
    if (fn % 2 === 1 || fn === sn) {
      mh.nodeInto(c, fr, fr);
      mh.nodeInto(c, sr, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      mh.nodeInto(sr, c, sr);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) {
    throw new ProofError("PROOF_TOO_SHORT", `consistency proof has ${proof.length} hashes, too few`);
  }
  if (!bytesEqual(fr, oldRoot)) throw rootMismatch("old root", oldRoot, fr);
  if (!bytesEqual(sr, newRoot)) throw rootMismatch("new root", newRoot, sr);
}

/** Every hash a proof computes with is 32 bytes: `BAD_HASH_LENGTH` names the first that is not. */
function checkDigests(hashes: readonly Uint8Array[]): void {
  const bad = hashes.findIndex((hash) => hash.length !== DIGEST_BYTES);
  if (bad >= 0) {
    throw new ProofError(
      "BAD_HASH_LENGTH",
      `hash ${bad} of the proof's inputs is ${hashes[bad].length} bytes, not ${DIGEST_BYTES}`,
    );
  }
}

function rootMismatch(
  what: string,
  expected: Uint8Array,
  calculated: Uint8Array,
  leafIndex?: number,
): ProofError {
  return new ProofError(
    "ROOT_MISMATCH",
    `${what}: calculated root ${toHex(calculated)}, expected ${toHex(expected)}`,
    leafIndex === undefined ? {} : { leafIndex },
  );
}

function isPowerOfTwo(n: number): boolean {
  let p = 1;
  while (p < n) p *= 2;
  return p === n;
}
