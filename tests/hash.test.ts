import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { formatHash, genesisHash, parseHash } from "../core/hash.ts";
import { createBLAKE3 } from "hash-wasm";
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

Deno.test("wasm hasher property: SHA-256 equals node:crypto, BLAKE3 equals hash-wasm's own API; digestInto equals digest", async () => {
  const sha = await loadHasher("sha256");
  const b3 = await loadHasher("b3");
  const reference = await createBLAKE3(256);
  const lengths = fc.oneof(
    fc.integer({ min: 0, max: 3000 }),
    fc.integer({ min: 16_380, max: 16_390 }),
    fc.integer({ min: 40_000, max: 70_000 }),
  );
  fc.assert(
    fc.property(lengths, fc.integer(), fc.integer({ min: 0, max: 40 }), (length, seed, offset) => {
      const input = new Uint8Array(length).map((_, i) => (seed + i * 31 + (i >> 8)) & 0xff);
      assert.equal(sha.digest(input).toHex(), createHash("sha256").update(input).digest("hex"));
      assert.equal(b3.digest(input).toHex(), reference.init().update(input).digest("hex"));
      const out = new Uint8Array(offset + 32).fill(0xee);
      b3.digestInto(input, out.subarray(offset));
      assert.deepEqual(out.subarray(offset), b3.digest(input));
      assert.ok(out.subarray(0, offset).every((b) => b === 0xee), "nothing written before out");
    }),
    fcParams(),
  );
});

Deno.test("wasm hasher property: digestMany equals digest, input by input", async () => {
  const b3 = await loadHasher("b3");
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }), (inputs) => {
      assert.deepEqual(b3.digestMany(inputs), inputs.map((input) => b3.digest(input)));
    }),
    fcParams(),
  );
});

Deno.test("wasm hasher: digestInto may write over its own input", async () => {
  const b3 = await loadHasher("b3");
  const buffer = new Uint8Array(65).map((_, i) => i);
  const expected = b3.digest(buffer);
  b3.digestInto(buffer, buffer.subarray(1));
  assert.deepEqual(buffer.subarray(1, 33), expected);
});

Deno.test("wasm binaries: wasm/binaries.ts is what the pinned hash-wasm compiles", async () => {
  // A fresh process: hash-wasm compiles each binary once per process, and this one has already.
  const check = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read=.", "wasm/binaries_build.ts", "--check"],
    cwd: new URL("..", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(check.success, new TextDecoder().decode(check.stderr));
  assert.match(new TextDecoder().decode(check.stdout), /wasm\/binaries\.ts is current/);
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
