import assert from "node:assert/strict";
import { buildVectors } from "../vectors/_build.ts";
import { loadVector } from "./_vectors.ts";

Deno.test("vectors: the committed project vectors are exactly what the code computes", async () => {
  const built = await buildVectors();
  assert.ok(Object.keys(built).length >= 4);
  for (const [name, content] of Object.entries(built)) {
    assert.deepEqual(
      loadVector(name),
      JSON.parse(JSON.stringify(content)),
      `vectors/${name} is stale: run deno task vectors`,
    );
  }
});

Deno.test("vectors: the bundle vectors verify offline with their verifier key; the rotation opens", async () => {
  const { BundleVerifier } = await import("../core/bundle.ts");
  const { parseVerifierKey } = await import("../core/keys.ts");
  const { KeyChain } = await import("../core/rotation.ts");
  const { loadHasher } = await import("../wasm/hasher.ts");
  const bundles = loadVector<{ verifier_key: string; whole: string; leaves_2_to_3: string }>("bundle.json");
  const key = await parseVerifierKey(bundles.verifier_key);
  for (const [text, records] of [[bundles.whole, 5], [bundles.leaves_2_to_3, 2]] as const) {
    const verifier = new BundleVerifier([key], loadHasher);
    for (const line of text.slice(0, -1).split("\n")) await verifier.line(line);
    assert.equal(verifier.finish().records, records);
  }
  assert.match(bundles.leaves_2_to_3, /\nleft 1 .*\nrec .*\nrec .*\nright 0 .*\ncp /s);
  const rotation = loadVector<{ old_verifier_key: string; new_verifier_key: string; statement: string }>(
    "rotation.json",
  );
  const chain = new KeyChain([await parseVerifierKey(rotation.old_verifier_key)]);
  await chain.rotate(rotation.statement);
  assert.deepEqual(chain.verifiersFor(7).map((v) => v.text), [rotation.new_verifier_key]);
  assert.equal(chain.verifiersFor(6).length, 2, "the rotation's own commit accepts either key");
});

Deno.test("vectors: the checkpoint extension vector verifies against the kept checkpoint of 2 records", async () => {
  const { parseCheckpointExtension, verifyCheckpointExtension } = await import(
    "../core/checkpoint_extension.ts"
  );
  const { parseVerifierKey } = await import("../core/keys.ts");
  const { MerkleHasher } = await import("../core/merkle_hasher.ts");
  const { loadHasher } = await import("../wasm/hasher.ts");
  const vector = loadVector<{ verifier_key: string; checkpoint_note_2: string; extension_2_to_5: string }>(
    "checkpoint.json",
  );
  const { current } = await verifyCheckpointExtension(
    vector.checkpoint_note_2,
    parseCheckpointExtension(vector.extension_2_to_5),
    [await parseVerifierKey(vector.verifier_key)],
    new MerkleHasher(await loadHasher("b3")),
  );
  assert.equal(current.checkpoint.size, 5);
  assert.match(vector.extension_2_to_5, /^old 2\n([A-Za-z0-9+/]{43}=\n)+\n/);
});

Deno.test("vectors: the cosigned checkpoint opens with the log's key and the witness's, at the vector's time", async () => {
  const { cosignatureTime, parseCosignerVerifierKey, requireCosignatures } = await import(
    "../core/cosignature.ts"
  );
  const { parseVerifierKey } = await import("../core/keys.ts");
  const { openNote } = await import("../core/note.ts");
  const vector = loadVector<
    { verifier_key: string; witness_verifier_key: string; checkpoint_note_cosigned: string }
  >(
    "checkpoint.json",
  );
  const witness = await parseCosignerVerifierKey(vector.witness_verifier_key);
  const opened = await openNote(vector.checkpoint_note_cosigned, [
    await parseVerifierKey(vector.verifier_key),
    witness,
  ]);
  assert.deepEqual(await requireCosignatures(opened, [witness]), [opened.verified[1]]);
  assert.equal(cosignatureTime(opened.verified[1]), 1_730_246_400);
  assert.match(vector.witness_verifier_key, /^witness\.example\/w1\+[0-9a-f]{8}\+B/);
});
