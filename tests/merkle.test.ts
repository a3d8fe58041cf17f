import assert from "node:assert/strict";
import fc from "fast-check";
import { ProofError } from "../core/errors.ts";
import { MerkleHasher } from "../core/merkle_hasher.ts";
import { MemoryNodeStore, MerkleTree } from "../core/merkle_tree.ts";
import { verifyConsistency, verifyInclusion } from "../core/merkle_verify.ts";
import { loadHasher } from "../wasm/hasher.ts";
import { fcParams } from "./_fc.ts";

const mh = new MerkleHasher(await loadHasher("b3"));
const MAX = 128;

function entry(i: number): Uint8Array {
  return mh.hasher.digest(new TextEncoder().encode(`record ${i}`));
}

const tree = new MerkleTree(mh, new MemoryNodeStore());
const leaves: Uint8Array[] = [];
for (let i = 0; i < MAX; i++) leaves.push(tree.appendEntry(entry(i)));

/** The RFC 9162 §2.1.1 definition, recursively, as an independent oracle. */
function referenceRoot(hashes: Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return mh.empty();
  if (hashes.length === 1) return hashes[0];
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return mh.node(referenceRoot(hashes.slice(0, k)), referenceRoot(hashes.slice(k)));
}

function flipBit(hash: Uint8Array, bit: number): Uint8Array {
  const out = hash.slice();
  out[(bit >> 3) % 32] ^= 1 << (bit & 7);
  return out;
}

function failsWith(code: string, fn: () => void): void {
  assert.throws(fn, (e: unknown) => e instanceof ProofError && e.code === code);
}

const roots = Array.from({ length: MAX + 1 }, (_, n) => referenceRoot(leaves.slice(0, n)));

Deno.test("merkle: incremental roots equal the RFC 9162 definition for every size ≤ 128", () => {
  for (let n = 0; n <= MAX; n++) assert.deepEqual(tree.rootAt(n), roots[n], `size ${n}`);
  assert.deepEqual(tree.root(), roots[MAX]);
  const reopened = new MerkleTree(mh, tree.store, 77);
  assert.deepEqual(reopened.root(), roots[77], "a tree reopened from its store has the same frontier");
  reopened.appendEntry(entry(77));
  assert.deepEqual(reopened.root(), roots[78]);
});

Deno.test("merkle: every inclusion proof for n ≤ 128, i < n verifies; each tampering fails precisely", () => {
  for (let n = 1; n <= MAX; n++) {
    for (let i = 0; i < n; i++) {
      const proof = tree.inclusionProof(i, n);
      verifyInclusion(mh, i, n, leaves[i], proof, roots[n]);
      failsWith("ROOT_MISMATCH", () => verifyInclusion(mh, i, n, flipBit(leaves[i], i + n), proof, roots[n]));
      failsWith("ROOT_MISMATCH", () => verifyInclusion(mh, i, n, leaves[i], proof, flipBit(roots[n], i)));
      for (let j = 0; j < proof.length; j++) {
        const bad = proof.with(j, flipBit(proof[j], i * 7 + j));
        failsWith("ROOT_MISMATCH", () => verifyInclusion(mh, i, n, leaves[i], bad, roots[n]));
      }
      if (n > 1) {
        const other = (i + 1) % n;
        assert.throws(
          () => verifyInclusion(mh, other, n, leaves[i], proof, roots[n]),
          ProofError,
          `wrong index ${other}`,
        );
        failsWith("PROOF_TOO_SHORT", () => verifyInclusion(mh, i, n, leaves[i], proof.slice(1), roots[n]));
      }
      failsWith("PROOF_TOO_LONG", () => verifyInclusion(mh, i, n, leaves[i], [...proof, roots[n]], roots[n]));
    }
    failsWith("INDEX_OUT_OF_RANGE", () => verifyInclusion(mh, n, n, leaves[0], [], roots[n]));
  }
});

Deno.test("merkle: every consistency proof for m ≤ n ≤ 128 verifies; each tampering fails", () => {
  for (let n = 1; n <= MAX; n++) {
    for (let m = 0; m <= n; m++) {
      const proof = tree.consistencyProof(m, n);
      verifyConsistency(mh, m, n, roots[m], roots[n], proof);
      if (m === 0 || m === n) {
        assert.equal(proof.length, 0);
        failsWith("PROOF_TOO_LONG", () => verifyConsistency(mh, m, n, roots[m], roots[n], [roots[n]]));
        if (m === n) {
          failsWith(
            "ROOT_MISMATCH",
            () => verifyConsistency(mh, m, n, flipBit(roots[m], 3), roots[n], proof),
          );
        }
        continue;
      }
      failsWith("ROOT_MISMATCH", () => verifyConsistency(mh, m, n, flipBit(roots[m], m), roots[n], proof));
      failsWith("ROOT_MISMATCH", () => verifyConsistency(mh, m, n, roots[m], flipBit(roots[n], n), proof));
      for (let j = 0; j < proof.length; j++) {
        const bad = proof.with(j, flipBit(proof[j], m * 5 + j));
        failsWith("ROOT_MISMATCH", () => verifyConsistency(mh, m, n, roots[m], roots[n], bad));
      }
      assert.throws(() => verifyConsistency(mh, m, n, roots[m], roots[n], proof.slice(0, -1)), ProofError);
      failsWith("PROOF_TOO_SHORT", () => verifyConsistency(mh, m, n, roots[m], roots[n], []));
      failsWith(
        "PROOF_TOO_LONG",
        () => verifyConsistency(mh, m, n, roots[m], roots[n], [...proof, roots[n]]),
      );
      if (m + 1 < n) {
        assert.throws(() => verifyConsistency(mh, m + 1, n, roots[m + 1], roots[n], proof), ProofError);
      }
    }
  }
  failsWith("SIZE_OUT_OF_RANGE", () => verifyConsistency(mh, 5, 4, roots[5], roots[4], []));
});

/** The store of `tree`, counting the nodes read through it. */
class CountingStore extends MemoryNodeStore {
  reads: string[] = [];
  override get(level: number, index: number): Uint8Array | undefined {
    this.reads.push(`${level}/${index}`);
    return tree.store.get(level, index);
  }
}

Deno.test("merkle: proofs at a tree's own size take its right edge from the frontier, equal to proofs from a larger tree", () => {
  for (let n = 1; n <= MAX; n++) {
    const own = new MerkleTree(mh, new CountingStore(), n);
    for (let i = 0; i < n; i++) {
      assert.deepEqual(own.inclusionProof(i), tree.inclusionProof(i, n), `leaf ${i} of ${n}`);
    }
    for (let m = 0; m <= n; m++) {
      assert.deepEqual(own.consistencyProof(m), tree.consistencyProof(m, n), `${m} → ${n}`);
    }
  }
  const store = new CountingStore();
  const own = new MerkleTree(mh, store, 100);
  store.reads = [];
  own.inclusionProof(0);
  // Leaf 0's six siblings inside [0, 64); [64, 100) is the frontier's (5, 2) and (2, 24), not read.
  assert.deepEqual(store.reads, ["0/1", "1/1", "2/1", "3/1", "4/1", "5/1"]);
});

Deno.test("merkle: a right edge hashed for one proof is kept for the next proof at that size", () => {
  const store = new CountingStore();
  const big = new MerkleTree(mh, store, MAX);
  big.inclusionProof(0, 100);
  store.reads = [];
  const proof = big.inclusionProof(1, 100);
  // Leaf 1's siblings inside [0, 64) are read again; [64, 100) is kept, not read.
  assert.deepEqual(store.reads, ["0/0", "1/1", "2/1", "3/1", "4/1", "5/1"]);
  verifyInclusion(mh, 1, 100, leaves[1], proof, roots[100]);
});

Deno.test("merkle: the newest leaf's proof comes from the frontier it was appended to, reading and hashing nothing", () => {
  const store = new CountingStore();
  const growing = new MerkleTree(mh, store);
  for (let n = 1; n <= MAX; n++) {
    growing.appendEntry(entry(n - 1));
    store.reads = [];
    const fast = growing.inclusionProof(n - 1);
    assert.deepEqual(store.reads, [], `size ${n}: nothing read`);
    const reopened = new MerkleTree(mh, growing.store, n);
    assert.deepEqual(fast, reopened.inclusionProof(n - 1), `size ${n}: equal to the proof from stored nodes`);
    verifyInclusion(mh, n - 1, n, leaves[n - 1], fast, roots[n]);
    fast.reverse();
    assert.deepEqual(growing.inclusionProof(n - 1), reopened.inclusionProof(n - 1), "callers get a copy");
  }
  const rebuilt = new MerkleTree(mh, new CountingStore());
  for (let i = 0; i < 4; i++) rebuilt.appendEntry(entry(i));
  rebuilt.appendSubtree(2, tree.store.get(2, 1)!);
  assert.deepEqual(
    rebuilt.inclusionProof(7),
    tree.inclusionProof(7, 8),
    "a subtree append drops the kept path",
  );
});

Deno.test("merkle: kept right edges stay right while the tree grows and old sizes are asked again", () => {
  const growing = new MerkleTree(mh, new MemoryNodeStore());
  for (let n = 1; n <= MAX; n++) {
    growing.appendEntry(entry(n - 1));
    for (const size of [n, Math.ceil(n / 2), Math.max(1, n - 17)]) {
      for (const i of [0, size >> 1, size - 1]) {
        verifyInclusion(mh, i, size, leaves[i], growing.inclusionProof(i, size), roots[size]);
      }
    }
  }
});

Deno.test("merkle: inclusionProofs shares subtree hashes and equals one proof at a time", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: MAX }).chain((size) =>
        fc.tuple(fc.constant(size), fc.array(fc.integer({ min: 0, max: size - 1 }), { maxLength: 40 }))
      ),
      ([size, indexes]) => {
        assert.deepEqual(
          tree.inclusionProofs(indexes, size),
          indexes.map((i) => tree.inclusionProof(i, size)),
        );
      },
    ),
    fcParams(),
  );
  failsWith("INDEX_OUT_OF_RANGE", () => tree.inclusionProofs([0, 9], 9));
});

Deno.test("merkle: impossible requests are typed errors", () => {
  failsWith("INDEX_OUT_OF_RANGE", () => tree.inclusionProof(MAX, MAX));
  failsWith("SIZE_OUT_OF_RANGE", () => tree.inclusionProof(0, MAX + 1));
  failsWith("SIZE_OUT_OF_RANGE", () => tree.consistencyProof(5, 4));
  failsWith("MISSING_NODE", () => new MerkleTree(mh, new MemoryNodeStore(), 3));
});

Deno.test("merkle: a hash of the wrong length in a proof's inputs is BAD_HASH_LENGTH, and the inputs stay untouched", () => {
  const proof = tree.inclusionProof(5, 100);
  const root = tree.rootAt(100);
  const before = proof.map((p) => p.slice());
  verifyInclusion(mh, 5, 100, leaves[5], proof, root);
  assert.deepEqual(proof, before, "verification computes in its own buffers");
  for (
    const cut of [proof.map((p, i) => (i === 3 ? p.subarray(0, 31) : p)), [
      ...proof.slice(0, 2),
      new Uint8Array(33),
    ]]
  ) {
    failsWith("BAD_HASH_LENGTH", () => verifyInclusion(mh, 5, 100, leaves[5], cut, root));
  }
  failsWith("BAD_HASH_LENGTH", () => verifyInclusion(mh, 5, 100, leaves[5].subarray(1), proof, root));
  const consistency = tree.consistencyProof(37, 100);
  const oldRoot = tree.rootAt(37);
  verifyConsistency(mh, 37, 100, oldRoot, root, consistency);
  failsWith(
    "BAD_HASH_LENGTH",
    () => verifyConsistency(mh, 37, 100, oldRoot, root, [new Uint8Array(8), ...consistency]),
  );
  failsWith(
    "BAD_HASH_LENGTH",
    () => verifyConsistency(mh, 37, 100, oldRoot.subarray(0, 16), root, consistency),
  );
});

Deno.test("merkle property: proofs in larger trees verify and are O(log n) long", () => {
  const big = new MerkleTree(mh, new MemoryNodeStore());
  const bigLeaves: Uint8Array[] = [];
  for (let i = 0; i < 3000; i++) bigLeaves.push(big.appendEntry(entry(i)));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3000 }), fc.nat(), fc.nat(), (n, a, b) => {
      const i = a % n;
      const m = b % (n + 1);
      const proof = big.inclusionProof(i, n);
      assert.ok(proof.length <= Math.ceil(Math.log2(n)));
      verifyInclusion(mh, i, n, bigLeaves[i], proof, big.rootAt(n));
      const consistency = big.consistencyProof(m, n);
      assert.ok(consistency.length <= 2 * Math.ceil(Math.log2(n)) + 1);
      verifyConsistency(mh, m, n, big.rootAt(m), big.rootAt(n), consistency);
    }),
    fcParams(),
  );
});
