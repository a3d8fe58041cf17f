/**
 * The Merkle NodeStore backed by the ledger (SPEC §4: proofs in O(log n) reads).
 *
 * Level-0 nodes (leaf hashes) are not stored: a leaf hash is H(0x00 || self_hash) and
 * `records.self_hash` is at hand by leaf index. Interior nodes live in `nodes (id, hash)` under
 * one integer key, `nodeId`, that grows in the order nodes are completed, so appends write at
 * the end of the table's B-tree.
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { MerkleHasher } from "../core/merkle_hasher.ts";
import type { NodeStore } from "../core/merkle_tree.ts";

/** Levels a node id can encode (trees up to 2^47 leaves). */
const LEVELS = 64;

/**
 * The key of node (level, index): the index of the last leaf it covers times 64, plus its level.
 * A node is completed by appending its last leaf, so keys grow with the log.
 */
export function nodeId(level: number, index: number): number {
  return ((index + 1) * 2 ** level - 1) * LEVELS + level;
}

/**
 * Nodes at this level and above are cached in memory once read or written: n / 32 hashes, about
 * 35 MB at 10M records; proofs then read only their five lowest levels from SQLite.
 */
const CACHED_LEVEL = 5;

/**
 * Reads and writes interior nodes; derives leaf hashes from the records. Upper-level nodes, which
 * every proof reads, are cached: they never change once written (the table is append-only), and
 * a transaction that fails forgets the cache.
 */
export class SqliteNodeStore implements NodeStore {
  private readonly cache = new Map<number, Uint8Array>();
  private readonly select: StatementSync;
  private readonly insert: StatementSync;
  private readonly selectLeaf: StatementSync;

  constructor(db: DatabaseSync, private readonly mh: MerkleHasher) {
    this.select = db.prepare("SELECT hash FROM nodes WHERE id = ?");
    this.insert = db.prepare("INSERT INTO nodes (id, hash) VALUES (?, ?)");
    this.selectLeaf = db.prepare("SELECT self_hash FROM records WHERE leaf = ?");
  }

  get(level: number, index: number): Uint8Array | undefined {
    if (level === 0) {
      const row = this.selectLeaf.get(index) as { self_hash: Uint8Array } | undefined;
      return row === undefined ? undefined : this.mh.leaf(row.self_hash);
    }
    const id = nodeId(level, index);
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    const row = this.select.get(id) as { hash: Uint8Array } | undefined;
    if (row !== undefined && level >= CACHED_LEVEL) this.cache.set(id, row.hash);
    return row?.hash;
  }

  put(level: number, index: number, hash: Uint8Array): void {
    if (level === 0) return;
    this.insert.run(nodeId(level, index), hash);
    if (level >= CACHED_LEVEL) this.cache.set(nodeId(level, index), hash);
  }

  /** Drops cached nodes (after a rolled-back transaction). */
  forget(): void {
    this.cache.clear();
  }
}
