import assert from "node:assert/strict";
import fc from "fast-check";
import { bloomBits, SubjectBloom } from "../ledger/subject_bloom.ts";

Deno.test("subject bloom: every added key may be contained (no false negatives)", () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: "grapheme" }), { maxLength: 300 }), (keys) => {
      const bloom = new SubjectBloom();
      for (const key of keys) bloom.add(key);
      return keys.every((key) => bloom.mayContain(bloomBits(key)));
    }),
  );
});

Deno.test("subject bloom: a full block answers absent keys wrongly well under 1% of the time", () => {
  const bloom = new SubjectBloom();
  for (let i = 0; i < 1024; i++) bloom.add(`b3:${i.toString(16).padStart(64, "0")}`);
  let wrong = 0;
  for (let i = 0; i < 20_000; i++) if (bloom.mayContain(bloomBits(`b3:absent-${i}`))) wrong++;
  assert.ok(wrong / 20_000 < 0.005, `false positive rate ${wrong / 20_000}`);
  assert.deepEqual(bloomBits("same key"), bloomBits("same key"));
  assert.ok(bloomBits("k").every((bit) => Number.isInteger(bit) && bit >= 0 && bit < 16_384));
});
