import assert from "node:assert/strict";
import { parseHash } from "../core/hash.ts";
import { MerkleHasher } from "../core/merkle_hasher.ts";
import { MemoryNodeStore, MerkleTree } from "../core/merkle_tree.ts";
import { NodeCache } from "../ledger/node_cache.ts";
import { SqliteNodeStore } from "../ledger/node_store.ts";
import { loadHasher } from "../wasm/hasher.ts";
import { agentDraft, removeLedger, tempLedger } from "./_ledger.ts";

const mh = new MerkleHasher(await loadHasher("b3"));

function hashOf(i: number): Uint8Array {
  return mh.hasher.digest(new TextEncoder().encode(`node ${i}`));
}

Deno.test("node cache: keeps copies by level and index across growth; ignores low levels; forgets", () => {
  const cache = new NodeCache(5);
  const indexes = [0, 1, 1023, 1024, 5000, 70_000];
  for (const index of indexes) cache.set(7, index, hashOf(index));
  cache.set(4, 3, hashOf(-1));
  for (const index of indexes) assert.deepEqual(cache.get(7, index), hashOf(index), `index ${index}`);
  assert.equal(cache.get(7, 2), undefined, "never set");
  assert.equal(cache.get(7, 1_000_000), undefined, "beyond the level's capacity");
  assert.equal(cache.get(8, 0), undefined, "another level");
  assert.equal(cache.get(4, 3), undefined, "below the cached levels");
  const source = hashOf(9);
  cache.set(6, 9, source);
  source.fill(0);
  assert.deepEqual(cache.get(6, 9), hashOf(9), "a copy, not the caller's array");
  cache.clear();
  assert.equal(cache.get(7, 0), undefined);
});

Deno.test("ledger proofs (prefetched from SQLite) equal an in-memory tree's at every size and leaf", async () => {
  const ledger = await tempLedger();
  try {
    const memory = new MerkleTree(mh, new MemoryNodeStore());
    const sizes = [1, 2, 31, 33, 64, 100, 129, 200];
    let previous = 0;
    for (const size of sizes) {
      const results = await ledger.appendBatch(
        Array.from({ length: size - previous }, (_, i) => agentDraft(previous + i)),
      );
      for (const result of results) memory.appendEntry(parseHash(result.selfHash).digest);
      previous = size;
    }
    const store = new SqliteNodeStore(ledger.db, mh);
    for (const size of sizes) {
      const reopened = new MerkleTree(mh, store, size);
      for (let i = 0; i < size; i++) {
        assert.deepEqual(
          ledger.inclusionProof(i, size),
          memory.inclusionProof(i, size),
          `leaf ${i} of ${size}`,
        );
        assert.deepEqual(
          reopened.inclusionProof(i),
          memory.inclusionProof(i, size),
          `leaf ${i}, tree of ${size}`,
        );
      }
      for (const old of sizes.filter((m) => m <= size)) {
        assert.deepEqual(
          ledger.consistencyProof(old, size),
          memory.consistencyProof(old, size),
          `${old} → ${size}`,
        );
      }
    }
    // More nodes than one statement reads, some of them never stored: each read as get would.
    const nodes: [number, number][] = Array.from({ length: 40 }, (_, i) => [i % 6, i * 3]);
    store.prefetch(nodes);
    const direct = new SqliteNodeStore(ledger.db, mh);
    for (const [level, index] of nodes) {
      assert.deepEqual(store.get(level, index), direct.get(level, index), `node ${level}/${index}`);
    }
    await removeLedger(ledger);
  } catch (error) {
    ledger.close();
    throw error;
  }
});
