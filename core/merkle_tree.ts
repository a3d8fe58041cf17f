/**
 * The incremental Merkle log (SPEC §4). A node (level, index) is the root of the complete subtree
 * over leaves [index·2^level, (index+1)·2^level). Appending stores each new complete subtree once
 * (O(1) amortized hashes a leaf); roots of any prefix and RFC 9162 §2.1.3–2.1.4 proofs are built
 * from those stored nodes in O(log n) reads through a small storage interface.
 * @module
 */
import { EdgeHashes } from "./edge_hashes.ts";
import { ProofError } from "./errors.ts";
import type { MerkleHasher } from "./merkle_hasher.ts";

/** Storage of complete-subtree hashes, supplied by the caller (memory here, SQLite in the ledger). */
export interface NodeStore {
  /** The hash of node (level, index); `undefined` if it was never stored. */
  get(level: number, index: number): Uint8Array | undefined;
  /** Stores the hash of node (level, index). */
  put(level: number, index: number, hash: Uint8Array): void;
  /**
   * Optional hint: the nodes, as [level, index] pairs, that the next `get` calls will ask for, so
   * a store on disk can read them in one query.
   */
  prefetch?(nodes: readonly [number, number][]): void;
}

/**
 * A NodeStore in memory.
 *
 * @example
 * ```ts
 * import { loadHasher, MemoryNodeStore, MerkleHasher, MerkleTree } from "../mod.ts";
 * const tree = new MerkleTree(new MerkleHasher(await loadHasher("b3")), new MemoryNodeStore());
 * tree.size; // 0
 * ```
 */
export class MemoryNodeStore implements NodeStore {
  private readonly levels: Uint8Array[][] = [];

  get(level: number, index: number): Uint8Array | undefined {
    return this.levels[level]?.[index];
  }

  put(level: number, index: number, hash: Uint8Array): void {
    (this.levels[level] ??= [])[index] = hash;
  }
}

/**
 * An append-only Merkle tree over a NodeStore.
 *
 * @example
 * ```ts
 * import { loadHasher, MemoryNodeStore, MerkleHasher, MerkleTree, verifyInclusion } from "../mod.ts";
 * const mh = new MerkleHasher(await loadHasher("b3"));
 * const tree = new MerkleTree(mh, new MemoryNodeStore());
 * const leaves = [1, 2, 3].map((i) => tree.appendEntry(new Uint8Array(32).fill(i)));
 * verifyInclusion(mh, 1, 3, leaves[1], tree.inclusionProof(1), tree.root());
 * ```
 */
export class MerkleTree {
  private treeSize: number;
  /** Roots of the complete subtrees that make up the tree, largest (leftmost) first. */
  private readonly frontier: Uint8Array[];
  /** Range hashes shared by the proofs of one `inclusionProofs` call, by `rangeKey`. */
  private shared: Map<number, Uint8Array> | undefined;
  /** Hashes of ranges that are not one complete node, shared by every proof at their size. */
  private readonly edges = new EdgeHashes();
  /**
   * The frontier nodes the newest leaf merged with, smallest first (reused, not reallocated). Its
   * inclusion proof at the current size is the frontier just before it was appended, smallest
   * first: these, then the rest of the frontier but its last node, so a receipt for a record just
   * appended hashes and reads nothing. Not kept after `appendSubtree`.
   */
  private readonly newestMerged: Uint8Array[] = [];
  private newestLeafKept = false;

  /** Opens the tree of `size` leaves whose nodes are in `store`. */
  constructor(readonly hasher: MerkleHasher, readonly store: NodeStore, size = 0) {
    this.treeSize = size;
    this.frontier = decompose(0, size).map(([level, index]) => readNode(store, level, index));
  }

  /** Number of leaves. */
  get size(): number {
    return this.treeSize;
  }

  /** Appends a leaf by its entry (for SecuraMem, the record digest); returns the leaf hash. */
  appendEntry(entry: Uint8Array): Uint8Array {
    const leaf = this.hasher.leaf(entry);
    this.appendLeafHash(leaf);
    return leaf;
  }

  /** Appends a leaf by its leaf hash, storing the leaf and every subtree it completes. */
  appendLeafHash(leafHash: Uint8Array): void {
    this.newestMerged.length = 0;
    this.newestLeafKept = true;
    let index = this.treeSize;
    let level = 0;
    let hash = leafHash;
    this.store.put(0, index, hash);
    while (index % 2 === 1) {
      const left = this.frontier.pop()!;
      this.newestMerged.push(left);
      hash = this.hasher.node(left, hash);
      index = (index - 1) / 2;
      level++;
      this.store.put(level, index, hash);
    }
    this.frontier.push(hash);
    this.treeSize++;
  }

  /**
   * Appends a complete subtree of 2^level leaves by its root (a compact-range merge). The tree
   * size must be a multiple of 2^level. Nothing is stored: for verifiers rebuilding a root.
   */
  appendSubtree(level: number, hash: Uint8Array): void {
    const width = 2 ** level;
    if (this.treeSize % width !== 0) {
      throw new ProofError(
        "SIZE_OUT_OF_RANGE",
        `a subtree of ${width} leaves cannot start at leaf ${this.treeSize}`,
      );
    }
    this.newestLeafKept = false;
    let index = this.treeSize / width;
    let node = hash;
    while (index % 2 === 1) {
      node = this.hasher.node(this.frontier.pop()!, node);
      index = (index - 1) / 2;
    }
    this.frontier.push(node);
    this.treeSize += width;
  }

  /** The frontier: roots of the complete subtrees tiling the tree, largest first, as [level, hash]. */
  frontierNodes(): [number, Uint8Array][] {
    return decompose(0, this.treeSize).map(([level], i) => [level, this.frontier[i]]);
  }

  /** Root of the whole tree. */
  root(): Uint8Array {
    const frontier = this.frontier;
    if (frontier.length === 0) return this.hasher.empty();
    let root = frontier[frontier.length - 1];
    for (let i = frontier.length - 2; i >= 0; i--) root = this.hasher.node(frontier[i], root);
    return root;
  }

  /** Root of the first `size` leaves. */
  rootAt(size: number): Uint8Array {
    checkSize(size, this.treeSize);
    return size === 0 ? this.hasher.empty() : this.rangeHash(0, size);
  }

  /** Inclusion proof of leaf `index` in the tree of `size` leaves, leaf-up (RFC 9162 §2.1.3.1). */
  inclusionProof(index: number, size: number = this.treeSize): Uint8Array[] {
    checkSize(size, this.treeSize);
    const path = this.inclusionPath(index, size);
    return Array.isArray(path) ? path : this.rangeHashes(path.ranges);
  }

  /**
   * What the inclusion proof of leaf `index` at `size` is made of: the newest leaf's proof at the
   * current size as hashes already held, any other as the leaf ranges whose hashes it lists.
   */
  private inclusionPath(index: number, size: number): Uint8Array[] | { ranges: [number, number][] } {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new ProofError("INDEX_OUT_OF_RANGE", `not in a tree of ${size}`, {
        leafIndex: index,
      });
    }
    if (index === size - 1 && size === this.treeSize && this.newestLeafKept) {
      return [...this.newestMerged, ...this.frontier.slice(0, -1).reverse()];
    }
    const ranges: [number, number][] = [];
    pathRanges(index, 0, size, ranges);
    return { ranges };
  }

  /** Consistency proof from `oldSize` to `newSize`, leaf-up (RFC 9162 §2.1.4.1). */
  consistencyProof(oldSize: number, newSize: number = this.treeSize): Uint8Array[] {
    checkSize(newSize, this.treeSize);
    checkSize(oldSize, newSize);
    const ranges: [number, number][] = [];
    if (oldSize > 0 && oldSize < newSize) subproofRanges(oldSize, 0, newSize, true, ranges);
    return this.rangeHashes(ranges);
  }

  /**
   * Inclusion proofs of many leaves in the tree of `size`, computing each subtree hash the proofs
   * share once (consecutive leaves share all but their lowest siblings).
   *
   * @example
   * ```ts
   * import { loadHasher, MemoryNodeStore, MerkleHasher, MerkleTree } from "../mod.ts";
   * const tree = new MerkleTree(new MerkleHasher(await loadHasher("b3")), new MemoryNodeStore());
   * for (let i = 0; i < 5; i++) tree.appendEntry(new Uint8Array(32).fill(i));
   * tree.inclusionProofs([3, 4]).length; // 2
   * ```
   */
  inclusionProofs(indexes: readonly number[], size: number = this.treeSize): Uint8Array[][] {
    checkSize(size, this.treeSize);
    const paths = indexes.map((index) => this.inclusionPath(index, size));
    this.shared = new Map();
    try {
      // Consecutive leaves' proofs share most ranges: each is announced once.
      const ranges = new Map<number, [number, number]>();
      for (const path of paths) {
        if (!Array.isArray(path)) {
          for (const [lo, hi] of path.ranges) ranges.set(rangeKey(lo, hi), [lo, hi]);
        }
      }
      this.prefetchRanges([...ranges.values()]);
      return paths.map((path) =>
        Array.isArray(path) ? path : path.ranges.map(([lo, hi]) => this.rangeHash(lo, hi))
      );
    } finally {
      this.shared = undefined;
    }
  }

  /** The hashes of leaf ranges, with the stored nodes they need announced to the store first. */
  private rangeHashes(ranges: readonly [number, number][]): Uint8Array[] {
    this.prefetchRanges(ranges);
    return ranges.map(([lo, hi]) => this.rangeHash(lo, hi));
  }

  /**
   * Announces to the store, in one call, the stored nodes that the hashes of `ranges` (each given
   * once) will read: those of the ranges neither kept as right edges nor in the frontier.
   */
  private prefetchRanges(ranges: readonly [number, number][]): void {
    if (this.store.prefetch === undefined) return;
    const nodes: [number, number][] = [];
    for (const [lo, hi] of ranges) {
      if (this.edges.get(lo, hi) === undefined && !this.inFrontier(lo, hi)) nodes.push(...decompose(lo, hi));
    }
    this.store.prefetch(nodes);
  }

  /** MTH of leaves [lo, hi), where lo is aligned to a power of two at least hi − lo. */
  private rangeHash(lo: number, hi: number): Uint8Array {
    if (this.shared === undefined) return this.computeRangeHash(lo, hi);
    const key = rangeKey(lo, hi);
    let hash = this.shared.get(key);
    if (hash === undefined) this.shared.set(key, hash = this.computeRangeHash(lo, hi));
    return hash;
  }

  private computeRangeHash(lo: number, hi: number): Uint8Array {
    // Most of a proof's ranges are one complete node, read as is.
    const level = Math.log2(hi - lo);
    if (Number.isInteger(level) && hi !== this.treeSize) return readNode(this.store, level, lo / (hi - lo));
    const kept = this.edges.get(lo, hi);
    if (kept !== undefined) return kept;
    const nodes = this.inFrontier(lo, hi)
      ? this.frontier.slice(this.frontier.length - decompose(lo, hi).length)
      : decompose(lo, hi).map(([level, index]) => readNode(this.store, level, index));
    let hash = nodes[nodes.length - 1];
    for (let i = nodes.length - 2; i >= 0; i--) hash = this.hasher.node(nodes[i], hash);
    this.edges.set(lo, hi, hash);
    return hash;
  }

  /**
   * True when the nodes tiling leaves [lo, hi) are the frontier's last ones (hi is the tree's size
   * and a frontier node starts at lo): proofs at the current size then read no right-edge node
   * from the store.
   */
  private inFrontier(lo: number, hi: number): boolean {
    const rest = hi - lo;
    return hi === this.treeSize && hi % (2 * largestPowerOfTwoAtMost(rest)) === rest;
  }
}

/**
 * A number naming the range [lo, hi) among the ranges of proofs at one tree size: lo and the
 * range's level, or 63 for the one range at lo that is not a complete subtree (it ends at the size).
 */
function rangeKey(lo: number, hi: number): number {
  const level = Math.log2(hi - lo);
  return lo * 64 + (Number.isInteger(level) ? level : 63);
}

/**
 * The leaf ranges whose hashes make the inclusion proof of leaf `index` within [lo, hi), leaf-up
 * (RFC 9162 §2.1.3.1); each range starts at a multiple of a power of two at least its length.
 */
function pathRanges(index: number, lo: number, hi: number, out: [number, number][]): void {
  if (hi - lo === 1) return;
  const k = largestPowerOfTwoBelow(hi - lo);
  if (index < lo + k) {
    pathRanges(index, lo, lo + k, out);
    out.push([lo + k, hi]);
  } else {
    pathRanges(index, lo + k, hi, out);
    out.push([lo, lo + k]);
  }
}

/** The leaf ranges whose hashes make the consistency proof from `m` leaves within [lo, hi) (RFC 9162 §2.1.4.1). */
function subproofRanges(m: number, lo: number, hi: number, complete: boolean, out: [number, number][]): void {
  if (m === hi - lo) {
    if (!complete) out.push([lo, hi]);
    return;
  }
  const k = largestPowerOfTwoBelow(hi - lo);
  if (m <= k) {
    subproofRanges(m, lo, lo + k, complete, out);
    out.push([lo + k, hi]);
  } else {
    subproofRanges(m - k, lo + k, hi, false, out);
    out.push([lo, lo + k]);
  }
}

/** The aligned complete subtrees, largest first, that tile leaves [lo, hi): [level, index] pairs. */
export function decompose(lo: number, hi: number): [number, number][] {
  const nodes: [number, number][] = [];
  let at = lo;
  while (at < hi) {
    let width = largestPowerOfTwoAtMost(hi - at);
    while (at % width !== 0) width /= 2;
    nodes.push([Math.log2(width), at / width]);
    at += width;
  }
  return nodes;
}

function readNode(store: NodeStore, level: number, index: number): Uint8Array {
  const hash = store.get(level, index);
  if (hash === undefined) {
    throw new ProofError("MISSING_NODE", `Merkle node (level ${level}, index ${index}) is not stored`);
  }
  return hash;
}

function checkSize(size: number, limit: number): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > limit) {
    throw new ProofError("SIZE_OUT_OF_RANGE", `tree size ${size} is outside 0…${limit}`);
  }
}

/** Largest power of two strictly below n (n ≥ 2). */
export function largestPowerOfTwoBelow(n: number): number {
  return largestPowerOfTwoAtMost(n - 1);
}

function largestPowerOfTwoAtMost(n: number): number {
  let power = 1;
  while (power * 2 <= n) power *= 2;
  return power;
}
