import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { formatHash, genesisHash, parseHash } from "../core/hash.ts";
import { loadHasher } from "../wasm/hasher.ts";
import { fcParams } from "./_fc.ts";
import { loadVector } from "./_vectors.ts";

interface Blake3Vectors {
  cases: { input_len: number; hash_hex: string }[];
}

Deno.test("wasm hasher: BLAKE3 matches the official-pattern vectors from b3sum", async () => {
  const b3 = await loadHasher("b3");
  const { cases } = loadVector<Blake3Vectors>("public/blake3.json");
  assert.ok(cases.length >= 20);
  for (const { input_len, hash_hex } of cases) {
    const input = new Uint8Array(input_len).map((_, i) => i % 251);
    assert.equal(b3.digest(input).toHex(), hash_hex, `length ${input_len}`);
  }
});

Deno.test("wasm hasher: one instance per algorithm, reused", async () => {
  assert.equal(await loadHasher("b3"), await loadHasher("b3"));
  assert.notEqual(await loadHasher("b3"), await loadHasher("sha256"));
});

Deno.test("wasm hasher property: SHA-256 equals node:crypto; digestMany equals digest", async () => {
  const sha = await loadHasher("sha256");
  const b3 = await loadHasher("b3");
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 8 }), (inputs) => {
      for (const input of inputs) {
        assert.equal(sha.digest(input).toHex(), createHash("sha256").update(input).digest("hex"));
      }
      assert.deepEqual(b3.digestMany(inputs), inputs.map((input) => b3.digest(input)));
    }),
    fcParams(),
  );
});

Deno.test("tagged hashes: format and strict parse", () => {
  const digest = new Uint8Array(32).fill(0xab);
  const text = formatHash("sha256", digest);
  assert.equal(text, `sha256:${"ab".repeat(32)}`);
  assert.deepEqual(parseHash(text), { alg: "sha256", digest });
  assert.equal(genesisHash("b3"), "b3:0");
  for (
    const bad of [
      "b3:0",
      `md5:${"ab".repeat(32)}`,
      `b3:${"AB".repeat(32)}`,
      `b3:${"ab".repeat(31)}`,
      "ab".repeat(32),
    ]
  ) {
    assert.throws(() => parseHash(bad), { code: "BAD_HASH" }, bad);
  }
});
