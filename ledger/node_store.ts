/**
 * The Merkle NodeStore backed by the ledger's `nodes` table: one indexed read per node, so
 * proofs cost O(log n) reads (SPEC §4).
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { NodeStore } from "../core/merkle_tree.ts";

/** Reads and writes `nodes (level, idx, hash)`. Writes join the caller's open transaction. */
export class SqliteNodeStore implements NodeStore {
  private readonly select: StatementSync;
  private readonly insert: StatementSync;

  constructor(db: DatabaseSync) {
    this.select = db.prepare("SELECT hash FROM nodes WHERE level = ? AND idx = ?");
    this.insert = db.prepare("INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)");
  }

  get(level: number, index: number): Uint8Array | undefined {
    const row = this.select.get(level, index) as { hash: Uint8Array } | undefined;
    return row?.hash;
  }

  put(level: number, index: number, hash: Uint8Array): void {
    this.insert.run(level, index, hash);
  }
}
