import assert from "node:assert/strict";
import fc from "fast-check";
import { bloomBits, SubjectBloom, subjectTag } from "../ledger/subject_bloom.ts";

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

Deno.test("subject bloom: filter bits and tags are stored formats and stay what docs/FORMAT.md §8 says", () => {
  // The empty key by hand from the formula: h1 = 0x811c9dc5, h2 = 0x01000193.
  assert.equal(subjectTag(""), 0x811c9dc5 * 2 ** 21 + (0x01000193 >>> 11));
  assert.deepEqual(
    bloomBits(""),
    Array.from({ length: 7 }, (_, i) => (0x811c9dc5 + i * (0x01000193 | 1)) % 2 ** 32 % 16_384),
  );
  // Values written by schema 3 ledgers: a change here makes stored tags and filters unreadable.
  const stored: [string, number, number[]][] = [
    ["doc-4", 3274247556637418, [2388, 7903, 13418, 2549, 8064, 13579, 2710]],
    [`b3:${"ab".repeat(32)}`, 4717323793594500, [3144, 13065, 6602, 139, 10060, 3597, 13518]],
    ["é✓", 3827345192556266, [6645, 10742, 14839, 2552, 6649, 10746, 14843]],
  ];
  for (const [key, tag, bits] of stored) {
    assert.equal(subjectTag(key), tag, key);
    assert.deepEqual(bloomBits(key), bits, key);
  }
  fc.assert(fc.property(fc.string({ unit: "grapheme" }), (key) => Number.isSafeInteger(subjectTag(key))));
});
