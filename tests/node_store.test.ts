import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { parseHash } from "../core/hash.ts";
import { MerkleHasher } from "../core/merkle_hasher.ts";
import { MemoryNodeStore, MerkleTree } from "../core/merkle_tree.ts";
import { NodeCache } from "../ledger/node_cache.ts";
import { readLeafNodesFrom, SqliteNodeStore } from "../ledger/node_store.ts";
import { Ledger } from "../ledger/ledger.ts";
import { loadHasher } from "../wasm/hasher.ts";
import { agentDraft, assertVerifies, downgradeToSchema3, removeLedger, tempLedger } from "./_ledger.ts";

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

for (const migratedAt of [undefined, 100]) {
  const title = migratedAt === undefined
    ? "a schema-4 ledger"
    : `a ledger migrated from schema 3 at ${migratedAt} records`;
  Deno.test(`ledger proofs (prefetched from SQLite) equal an in-memory tree's at every size and leaf: ${title}`, async () => {
    let ledger = await tempLedger();
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
        if (size === migratedAt) {
          ledger.close();
          downgradeToSchema3(ledger.paths.dir);
          ledger = await Ledger.open(ledger.paths.dir);
        }
      }
      const leafNodesFrom = readLeafNodesFrom(ledger.db);
      assert.equal(leafNodesFrom, migratedAt ?? 0);
      const leafRows = ledger.db.prepare("SELECT count(*) AS n FROM nodes WHERE id % 64 = 0").get() as {
        n: number;
      };
      assert.equal(leafRows.n, 200 - leafNodesFrom, "a leaf row for every leaf from leaf_nodes_from on");
      const store = new SqliteNodeStore(ledger.db, mh, leafNodesFrom);
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
        // A batch's proofs, read in ranges of node ids (consecutive leaves) or one statement of a few
        // nodes at a time (scattered ones), from a store that has cached nothing.
        const every = Array.from({ length: size }, (_, i) => i);
        for (const indexes of [every, every.filter((i) => i % 7 === 3).reverse(), [size - 1, 0, size - 1]]) {
          const fresh = new MerkleTree(mh, new SqliteNodeStore(ledger.db, mh, leafNodesFrom), size);
          assert.deepEqual(
            fresh.inclusionProofs(indexes),
            indexes.map((i) => memory.inclusionProof(i, size)),
            `${indexes.length} proofs at ${size}`,
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
      const direct = new SqliteNodeStore(ledger.db, mh, leafNodesFrom);
      for (const [level, index] of nodes) {
        assert.deepEqual(store.get(level, index), direct.get(level, index), `node ${level}/${index}`);
      }
      await assertVerifies(ledger);
      await removeLedger(ledger);
    } catch (error) {
      ledger.close();
      throw error;
    }
  });
}

Deno.test("node store: one prefetch of clustered and scattered leaves' proofs (ranges and point reads) gives each proof", async () => {
  const ledger = await tempLedger();
  try {
    const memory = new MerkleTree(mh, new MemoryNodeStore());
    for (let at = 0; at < 3000; at += 1000) {
      const results = await ledger.appendBatch(Array.from({ length: 1000 }, (_, i) => agentDraft(at + i)));
      for (const result of results) memory.appendEntry(parseHash(result.selfHash).digest);
    }
    const clustered = Array.from({ length: 60 }, (_, i) => 1500 + i);
    const scattered = [0, 777, 2999, ...Array.from({ length: 20 }, (_, i) => 13 + 149 * i)];
    for (
      const indexes of [
        clustered,
        scattered,
        [...clustered, ...scattered].reverse(),
      ]
    ) {
      for (const size of [3000, 2000]) {
        const wanted = indexes.filter((i) => i < size);
        const fresh = new MerkleTree(mh, new SqliteNodeStore(ledger.db, mh, 0), 3000);
        assert.deepEqual(
          fresh.inclusionProofs(wanted, size),
          wanted.map((i) => memory.inclusionProof(i, size)),
          `${wanted.length} proofs at ${size}`,
        );
      }
    }
    await removeLedger(ledger);
  } catch (error) {
    ledger.close();
    throw error;
  }
});

Deno.test("node store: puts are inserted 32 to a statement, read back before they are flushed, dropped by forget", () => {
  const db = new DatabaseSync(":memory:");
  db.exec(
    "CREATE TABLE nodes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL); CREATE TABLE records (leaf INTEGER PRIMARY KEY, self_hash BLOB)",
  );
  const store = new SqliteNodeStore(db, mh, 0);
  const stored = () => (db.prepare("SELECT count(*) AS n FROM nodes").get() as { n: number }).n;
  for (let i = 0; i < 40; i++) store.put(1, i, hashOf(i));
  assert.equal(stored(), 32, "one full statement inserted, 8 nodes pending");
  assert.deepEqual(store.get(1, 39), hashOf(39), "a pending node is read back");
  assert.equal(stored(), 40, "reading flushed the rest");
  for (let i = 40; i < 45; i++) store.put(1, i, hashOf(i));
  store.forget();
  store.flush();
  assert.equal(stored(), 40, "forgotten nodes are never inserted");
  assert.equal(store.get(1, 44), undefined);
  for (let i = 45; i < 110; i++) store.put(1, i, hashOf(i));
  store.flush();
  const ids = (db.prepare("SELECT id FROM nodes ORDER BY id").all() as { id: number }[]).map((row) => row.id);
  assert.equal(ids.length, 105);
  for (const i of [0, 39, 45, 77, 109]) assert.deepEqual(store.get(1, i), hashOf(i), `node ${i}`);
});
