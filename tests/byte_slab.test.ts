import assert from "node:assert/strict";
import fc from "fast-check";
import { ByteSlab } from "../core/byte_slab.ts";
import { fcParams } from "./_fc.ts";

const ENCODER = new TextEncoder();

Deno.test("byte slab: encode is TextEncoder's UTF-8, across slab ends and past the slab size", () => {
  const slab = new ByteSlab(64);
  for (const text of ["", "a".repeat(60), "é€😀", "x".repeat(63), "中".repeat(30), "tail"]) {
    assert.deepEqual(slab.encode(text), ENCODER.encode(text), JSON.stringify(text.slice(0, 10)));
  }
});

Deno.test("byte slab property: views never overlap — every earlier result keeps its bytes", () => {
  const op = fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }).map((text) => ({ text })),
    fc.integer({ min: 0, max: 80 }).map((take) => ({ take })),
  );
  fc.assert(
    fc.property(fc.integer({ min: 8, max: 128 }), fc.array(op, { maxLength: 60 }), (slabBytes, ops) => {
      const slab = new ByteSlab(slabBytes);
      const results: { view: Uint8Array; expected: Uint8Array }[] = [];
      ops.forEach((o, i) => {
        if ("text" in o) {
          results.push({ view: slab.encode(o.text), expected: ENCODER.encode(o.text) });
        } else {
          const view = slab.take(o.take);
          assert.ok(view.every((b) => b === 0), "a taken view starts zeroed");
          view.fill(i & 0xff);
          results.push({ view, expected: new Uint8Array(o.take).fill(i & 0xff) });
        }
      });
      for (const { view, expected } of results) assert.deepEqual(view, expected);
    }),
    fcParams(),
  );
});
