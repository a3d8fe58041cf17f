/**
 * RFC 9162 §2.1 tree hashing over the ledger's hash (SPEC §4): leaf = H(0x00 || entry),
 * interior node = H(0x01 || left || right), empty tree = H("").
 * @module
 */
import { DIGEST_BYTES, type Hasher } from "./hash.ts";

/**
 * Domain-separation prefix of a leaf hash.
 *
 * @example
 * ```ts
 * import { LEAF_PREFIX } from "../mod.ts";
 * LEAF_PREFIX; // 0x00
 * ```
 */
export const LEAF_PREFIX = 0x00;
/**
 * Domain-separation prefix of an interior node hash.
 *
 * @example
 * ```ts
 * import { NODE_PREFIX } from "../mod.ts";
 * NODE_PREFIX; // 0x01
 * ```
 */
export const NODE_PREFIX = 0x01;

/**
 * Leaf and node hashing without allocating for the concatenation.
 *
 * @example
 * ```ts
 * import { loadHasher, MerkleHasher } from "../mod.ts";
 * const mh = new MerkleHasher(await loadHasher("sha256"));
 * mh.empty(); // SHA-256("")
 * ```
 */
export class MerkleHasher {
  private readonly scratch = new Uint8Array(1 + 2 * DIGEST_BYTES);
  private emptyRoot: Uint8Array | undefined;

  constructor(readonly hasher: Hasher) {}

  /** H(0x00 || entry). */
  leaf(entry: Uint8Array): Uint8Array {
    if (entry.length > 2 * DIGEST_BYTES) {
      const buf = new Uint8Array(1 + entry.length);
      buf.set(entry, 1);
      return this.hasher.digest(buf);
    }
    const scratch = this.scratch;
    scratch[0] = LEAF_PREFIX;
    scratch.set(entry, 1);
    return this.hasher.digest(scratch.subarray(0, 1 + entry.length));
  }

  /** H(0x01 || left || right). */
  node(left: Uint8Array, right: Uint8Array): Uint8Array {
    return this.hasher.digest(this.nodeInput(left, right));
  }

  /** Writes H(0x01 || left || right) into `out`, which may be `left` or `right`; allocates nothing. */
  nodeInto(left: Uint8Array, right: Uint8Array, out: Uint8Array): void {
    this.hasher.digestInto(this.nodeInput(left, right), out);
  }

  private nodeInput(left: Uint8Array, right: Uint8Array): Uint8Array {
    const scratch = this.scratch;
    scratch[0] = NODE_PREFIX;
    scratch.set(left, 1);
    scratch.set(right, 1 + DIGEST_BYTES);
    return scratch;
  }

  /** Root of the empty tree, H(""). */
  empty(): Uint8Array {
    this.emptyRoot ??= this.hasher.digest(new Uint8Array(0));
    return this.emptyRoot.slice();
  }
}
