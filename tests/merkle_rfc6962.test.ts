import assert from "node:assert/strict";
import { MerkleHasher } from "../core/merkle_hasher.ts";
import { MemoryNodeStore, MerkleTree } from "../core/merkle_tree.ts";
import { verifyConsistency, verifyInclusion } from "../core/merkle_verify.ts";
import { loadHasher } from "../wasm/hasher.ts";
import { loadVector } from "./_vectors.ts";

interface Rfc6962Vectors {
  empty_root_hex: string;
  leaves: { entry_hex: string; leaf_hash_hex: string }[];
  roots_by_size: Record<string, string>;
  inclusion: { index: number; size: number; proof_hex: string[] | null }[];
  consistency: { old_size: number; new_size: number; proof_hex: string[] | null }[];
}

const vectors = loadVector<Rfc6962Vectors>("public/rfc6962-sha256.json");
const mh = new MerkleHasher(await loadHasher("sha256"));
const hex = (h: Uint8Array) => h.toHex();
const unhex = (s: string) => Uint8Array.fromHex(s);

function buildTree(): MerkleTree {
  const tree = new MerkleTree(mh, new MemoryNodeStore());
  for (const leaf of vectors.leaves) tree.appendEntry(unhex(leaf.entry_hex));
  return tree;
}

Deno.test("sha256 Merkle: leaf hashes and empty root match RFC 6962 vectors", () => {
  assert.equal(hex(mh.empty()), vectors.empty_root_hex);
  for (const leaf of vectors.leaves) assert.equal(hex(mh.leaf(unhex(leaf.entry_hex))), leaf.leaf_hash_hex);
});

Deno.test("sha256 Merkle: root of every prefix matches RFC 6962 vectors", () => {
  const tree = buildTree();
  for (const [size, root] of Object.entries(vectors.roots_by_size)) {
    assert.equal(hex(tree.rootAt(Number(size))), root, `size ${size}`);
  }
  assert.equal(hex(tree.root()), vectors.roots_by_size[String(vectors.leaves.length)]);
  assert.equal(hex(tree.rootAt(8)), "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
});

Deno.test("sha256 Merkle: inclusion proofs equal the RFC 6962 vectors and verify", () => {
  const tree = buildTree();
  for (const v of vectors.inclusion) {
    const proof = tree.inclusionProof(v.index, v.size);
    assert.deepEqual(proof.map(hex), v.proof_hex ?? [], `index ${v.index} size ${v.size}`);
    const leaf = unhex(vectors.leaves[v.index].leaf_hash_hex);
    verifyInclusion(mh, v.index, v.size, leaf, proof, unhex(vectors.roots_by_size[v.size]));
  }
});

Deno.test("sha256 Merkle: consistency proofs equal the RFC 6962 vectors and verify", () => {
  const tree = buildTree();
  for (const v of vectors.consistency) {
    const proof = tree.consistencyProof(v.old_size, v.new_size);
    assert.deepEqual(proof.map(hex), v.proof_hex ?? [], `${v.old_size}→${v.new_size}`);
    verifyConsistency(
      mh,
      v.old_size,
      v.new_size,
      unhex(vectors.roots_by_size[v.old_size]),
      unhex(vectors.roots_by_size[v.new_size]),
      proof,
    );
  }
});
