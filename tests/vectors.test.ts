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
