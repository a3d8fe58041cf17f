/**
 * Hashes of leaf ranges that are not one complete node: the right edges of the tree sizes proofs
 * were asked at. Every proof at size n shares the edge ranges [lo, n), and hashing them again is
 * most of a proof's hashing; a range's hash never changes once its leaves are appended.
 * @module
 */

/** Tree sizes whose edge hashes are kept (each has at most one range per level). */
const SIZES_KEPT = 16;

/** A small memo of range hashes by (lo, hi), keeping the ranges of the last `SIZES_KEPT` values of hi. */
export class EdgeHashes {
  private readonly bySize = new Map<number, Map<number, Uint8Array>>();

  /** The hash of leaves [lo, hi), if it was kept. */
  get(lo: number, hi: number): Uint8Array | undefined {
    return this.bySize.get(hi)?.get(lo);
  }

  /** Keeps the hash of leaves [lo, hi), forgetting the oldest size when there are too many. */
  set(lo: number, hi: number, hash: Uint8Array): void {
    let ranges = this.bySize.get(hi);
    if (ranges === undefined) {
      if (this.bySize.size === SIZES_KEPT) this.bySize.delete(this.bySize.keys().next().value!);
      this.bySize.set(hi, ranges = new Map());
    }
    ranges.set(lo, hash);
  }
}
