/**
 * The subject index: one Bloom filter of subject keys per block of 1,024 leaves, and the
 * `subject_tag` fingerprint that narrows a block's rows in SQL.
 *
 * Subject keys are mostly content ids (hashes), so a B-tree index on them takes one random
 * page per record: every 1,000-record commit rewrote ~1,000 index pages, and ingest fell to
 * ~70% of its small-ledger rate by 500k records. A block's filter is one 2 KiB row, rewritten in
 * place while its block fills: each commit touches one or two rows whatever the ledger's size.
 * A query by subject reads the filters (2 bytes per record) and scans the records of the blocks
 * that may match. With 7 hashes over 16,384 bits and 1,024 keys, a block without the key matches
 * with probability ~0.07%.
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { pagedRows } from "./paged.ts";

/** Leaves per filter. */
export const BLOCK_LEAVES = 1024;
const BITS = 16_384;
const HASHES = 7;

/** The block of leaf `leaf`. */
export function blockOf(leaf: number): number {
  return Math.floor(leaf / BLOCK_LEAVES);
}

/** One block's filter. */
export class SubjectBloom {
  constructor(readonly bits: Uint8Array = new Uint8Array(BITS / 8)) {}

  /** Adds `key`. */
  add(key: string): void {
    for (const bit of bloomBits(key)) this.bits[bit >>> 3] |= 1 << (bit & 7);
  }

  /** False when the key of these `bloomBits` was certainly never added. */
  mayContain(bits: readonly number[]): boolean {
    for (const bit of bits) if ((this.bits[bit >>> 3] & (1 << (bit & 7))) === 0) return false;
    return true;
  }
}

/** The bit positions of `key`: double hashing over the two halves of `keyHashes`. */
export function bloomBits(key: string): number[] {
  const [h1, h2] = keyHashes(key);
  const step = h2 | 1;
  const positions: number[] = [];
  for (let i = 0; i < HASHES; i++) positions.push(((h1 + Math.imul(i, step)) >>> 0) % BITS);
  return positions;
}

/**
 * The `subject_tag` column of a subject key: 53 bits of `keyHashes` (32 of the first, 21 of the
 * second), a safe integer. Queries compare it in SQL and confirm the key from the bytes.
 */
export function subjectTag(key: string): number {
  const [h1, h2] = keyHashes(key);
  return (h1 >>> 0) * 0x200000 + (h2 >>> 11);
}

/** Two 32-bit FNV-1a variants of the UTF-16 code units of `key`. */
function keyHashes(key: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ unit, 0x01000193);
    h2 = Math.imul(h2 ^ unit, 0x5bd1e995) ^ (h2 >>> 15);
  }
  return [h1, h2 >>> 0];
}

/**
 * Reads and writes the filters of `subject_blooms`. A writer remembers the newest block's filter
 * it stored, so consecutive appends to one block read it once; the ledger calls `forget` whenever
 * the database may hold something else (a rollback, another connection's commit).
 */
export class SubjectBloomStore {
  private readonly select: StatementSync;
  private readonly upsert: StatementSync;
  private readonly scan: StatementSync;
  private newest: { readonly block: number; readonly bloom: SubjectBloom } | undefined;

  constructor(db: DatabaseSync) {
    this.select = db.prepare("SELECT bits FROM subject_blooms WHERE block = ?");
    this.upsert = db.prepare(
      "INSERT INTO subject_blooms (block, bits) VALUES (?, ?) ON CONFLICT (block) DO UPDATE SET bits = excluded.bits",
    );
    this.scan = db.prepare("SELECT block, bits FROM subject_blooms WHERE block >= ? ORDER BY block LIMIT ?");
  }

  /** The stored filter of `block`, if any. */
  get(block: number): SubjectBloom | undefined {
    const row = this.select.get(block) as { bits: Uint8Array } | undefined;
    return row === undefined ? undefined : new SubjectBloom(row.bits);
  }

  /** Adds (leaf, subject key) pairs to their blocks' filters. */
  addAll(entries: readonly { readonly leaf: number; readonly key: string }[]): void {
    const touched = new Map<number, SubjectBloom>();
    for (const { leaf, key } of entries) {
      const block = blockOf(leaf);
      let bloom = touched.get(block);
      if (bloom === undefined) {
        bloom = (this.newest?.block === block ? this.newest.bloom : this.get(block)) ?? new SubjectBloom();
        touched.set(block, bloom);
      }
      bloom.add(key);
    }
    for (const [block, bloom] of touched) {
      this.upsert.run(block, bloom.bits);
      if (block >= (this.newest?.block ?? 0)) this.newest = { block, bloom };
    }
  }

  /** Drops the remembered filter; the next `addAll` reads what it needs. */
  forget(): void {
    this.newest = undefined;
  }

  /** Blocks from `fromBlock` on whose filter may hold `key`, in order. */
  *candidates(key: string, fromBlock: number): Generator<number> {
    const bits = bloomBits(key);
    for (const row of pagedRows<{ block: number; bits: Uint8Array }>(this.scan, "block", fromBlock)) {
      if (new SubjectBloom(row.bits).mayContain(bits)) yield row.block;
    }
  }
}
