/**
 * Upper Merkle levels in memory, one flat buffer a level. At 10M records the cached levels hold
 * ~620k hashes; kept as that many typed arrays in a Map, every lookup chased a hash bucket and a
 * heap object, which cost a proof more than its hashing. Here a node is an offset into its level.
 * @module
 */
import { DIGEST_BYTES } from "../core/hash.ts";

/** Hashes of complete subtrees at `minLevel` and above, by (level, index). */
export class NodeCache {
  private readonly hashes: Uint8Array[] = [];
  /** 1 where a node is cached, by level and index. */
  private readonly known: Uint8Array[] = [];

  constructor(readonly minLevel: number) {}

  /** The cached hash (a view: callers must not write to it), or `undefined`. */
  get(level: number, index: number): Uint8Array | undefined {
    if (!this.has(level, index)) return undefined;
    const at = index * DIGEST_BYTES;
    return this.hashes[level].subarray(at, at + DIGEST_BYTES);
  }

  /** True when node (level, index) is cached. */
  has(level: number, index: number): boolean {
    return this.known[level]?.[index] === 1;
  }

  /** Caches a copy of `hash`; levels below `minLevel` are ignored. */
  set(level: number, index: number, hash: Uint8Array): void {
    if (level < this.minLevel) return;
    this.reserve(level, index + 1);
    this.hashes[level].set(hash, index * DIGEST_BYTES);
    this.known[level][index] = 1;
  }

  /** Forgets every node (after a rolled-back transaction). */
  clear(): void {
    this.hashes.length = 0;
    this.known.length = 0;
  }

  /** Grows `level` to hold `count` nodes, doubling. */
  private reserve(level: number, count: number): void {
    const known = this.known[level];
    if (known !== undefined && known.length >= count) return;
    const capacity = Math.max(1024, 2 ** Math.ceil(Math.log2(count)));
    const grownKnown = new Uint8Array(capacity);
    const grownHashes = new Uint8Array(capacity * DIGEST_BYTES);
    if (known !== undefined) {
      grownKnown.set(known);
      grownHashes.set(this.hashes[level]);
    }
    this.known[level] = grownKnown;
    this.hashes[level] = grownHashes;
  }
}
