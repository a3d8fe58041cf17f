import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalizeRecord, DEFAULT_BOUNDS } from "../core/canonical.ts";
import { CanonicalError } from "../core/errors.ts";
import type { JsonObject, JsonValue } from "../core/json.ts";
import { readJsonText } from "../core/json_reader.ts";
import { loadHasher } from "../wasm/hasher.ts";
import { formatHash } from "../core/hash.ts";
import { fcParams } from "./_fc.ts";
import { loadVector } from "./_vectors.ts";

interface CanonicalVectors {
  cases: { name: string; inputs: string[]; canonical: string; b3: string; sha256: string }[];
}
interface EvilVectors {
  cases: { name: string; input: string; code: string }[];
}

const b3 = await loadHasher("b3");
const sha256 = await loadHasher("sha256");

Deno.test("canonical: SPEC §3 vectors reproduce byte-for-byte with their self_hash", () => {
  const expected = [
    "b3:0c1a9dc479041a90fc084e5090d29f743f179a895a73f31181110c02f65ee001",
    "b3:7c99df3b377aa7f1c97b700faa07061e3e970ce04539bb1bb191bb56811cc70b",
  ];
  const cases = loadVector<CanonicalVectors>("canonical.json").cases;
  for (const [i, hash] of expected.entries()) {
    const canonical = canonicalizeRecord(readJsonText(cases[i].inputs[0]));
    assert.equal(canonical.text, cases[i].inputs[0], "SPEC text is already canonical");
    assert.equal(formatHash("b3", b3.digest(canonical.bytes)), hash);
  }
});

Deno.test("canonical: every spelling of a vector (shuffled, pretty, escaped, NFD) gives the same bytes", () => {
  for (const c of loadVector<CanonicalVectors>("canonical.json").cases) {
    for (const input of c.inputs) {
      const canonical = canonicalizeRecord(readJsonText(input));
      assert.equal(canonical.text, c.canonical, `${c.name}: ${input.slice(0, 60)}`);
      assert.equal(formatHash("b3", b3.digest(canonical.bytes)), c.b3);
      assert.equal(formatHash("sha256", sha256.digest(canonical.bytes)), c.sha256);
    }
  }
});

Deno.test("canonical: every evil vector is rejected with its stable code", () => {
  for (const c of loadVector<EvilVectors>("evil.json").cases) {
    assert.throws(
      () => canonicalizeRecord(readJsonText(c.input)),
      (error: unknown) => error instanceof CanonicalError && error.code === c.code,
      c.name,
    );
  }
});

Deno.test("canonical: nesting of exactly 32 is accepted, 33 rejected; bounds are inclusive", () => {
  const nested = (arrays: number) => baseRecord({ attrs: { x: deepArray(arrays) } });
  canonicalizeRecord(nested(30));
  assert.throws(() => canonicalizeRecord(nested(31)), { code: "NESTING_TOO_DEEP" });
  const overhead = canonicalizeRecord(baseRecord({ attrs: { x: "" } })).text.length;
  const attrsAtBound = { x: "a".repeat(DEFAULT_BOUNDS.maxAttrsBytes - 8) };
  assert.equal(JSON.stringify(attrsAtBound).length, DEFAULT_BOUNDS.maxAttrsBytes);
  canonicalizeRecord(baseRecord({ attrs: attrsAtBound }));
  assert.throws(() => canonicalizeRecord(baseRecord({ attrs: { x: "a".repeat(1017) } })), {
    code: "ATTRS_TOO_LARGE",
  });
  const fill = DEFAULT_BOUNDS.maxRecordBytes - overhead;
  canonicalizeRecord(baseRecord({ attrs: { x: "" }, subject: { y: "b".repeat(fill - 6) } }));
  assert.throws(
    () => canonicalizeRecord(baseRecord({ attrs: { x: "" }, subject: { y: "b".repeat(fill - 5) } })),
    { code: "RECORD_TOO_LARGE" },
  );
});

Deno.test("canonical: values JSON text cannot carry are rejected from JS values", () => {
  const bad: [JsonValue | unknown, string][] = [
    [1.5, "FLOAT_DISALLOWED"],
    [2 ** 53, "UNSAFE_INTEGER"],
    [NaN, "BAD_FIELD"],
    [undefined, "BAD_FIELD"],
    [new Date(0), "BAD_FIELD"],
    ["\ud800", "LONE_SURROGATE"],
  ];
  for (const [value, code] of bad) {
    assert.throws(() => canonicalizeRecord(baseRecord({ attrs: { x: value as JsonValue } })), { code });
  }
  assert.equal(canonicalizeRecord(baseRecord({ attrs: { x: -0 } })).text.includes(`"x":0`), true);
});

Deno.test("canonical: writer_id and reason are counted in code points after NFC, on every path", () => {
  const nfd = "e\u0301";
  for (const [field, min, max] of [["writer_id", 1, 128], ["reason", 0, 256]] as const) {
    const atBound = canonicalizeRecord(baseRecord({ [field]: nfd.repeat(max) }));
    assert.equal(
      atBound.record[field],
      "\u00e9".repeat(max),
      `${field}: NFD at the bound is in bounds after NFC`,
    );
    assert.equal(
      canonicalizeRecord(baseRecord({ [field]: "\u{1F600}".repeat(max) })).record[field].length,
      2 * max,
    );
    for (const over of [nfd.repeat(max + 1), "\u{1F600}".repeat(max + 1), "a".repeat(max + 1)]) {
      assert.throws(() => canonicalizeRecord(baseRecord({ [field]: over })), {
        code: "BAD_FIELD",
        message: `${field} must be ${min}–${max} characters, got ${max + 1} (at ${field})`,
      });
    }
  }
});

Deno.test("canonical: require mode refuses a non-NFC string instead of normalizing it", () => {
  const record = baseRecord({ reason: "cafe\u0301" });
  assert.equal(canonicalizeRecord(record).record.reason, "caf\u00e9");
  assert.throws(() => canonicalizeRecord(record, DEFAULT_BOUNDS, "require"), { code: "NOT_CANONICAL" });
});

Deno.test("canonical: integer-like keys sort by code units, not numerically as V8 enumerates them", () => {
  const attrs = { b: 3, "10": 1, "9": 2, "2": { "11": true, "1": false } };
  const text = canonicalizeRecord(baseRecord({ attrs })).text;
  assert.match(text, /"attrs":\{"10":1,"2":\{"1":false,"11":true\},"9":2,"b":3\}/);
  assert.equal(canonicalizeRecord(readJsonText(text), DEFAULT_BOUNDS, "require").text, text);
});

Deno.test("canonical: a __proto__ key is an ordinary key", () => {
  const text = canonicalizeRecord(readJsonText(
    JSON.stringify(baseRecord({})).replace(
      `"attrs":{}`,
      `"attrs":{"__proto__":{"polluted":1}}`,
    ),
  )).text;
  assert.match(text, /"attrs":\{"__proto__":\{"polluted":1\}\}/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

// ---- properties -------------------------------------------------------------------------------

const unicodeString = fc.string({ unit: "grapheme", maxLength: 12 });
const jsonLeaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.maxSafeInteger(),
  fc.integer({ min: -1000, max: 1000 }),
  unicodeString,
);
const jsonValue = fc.letrec<{ value: JsonValue; object: JsonObject }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    jsonLeaf,
    fc.array(tie("value"), { maxLength: 4 }),
    tie("object"),
  ),
  object: fc.dictionary(
    fc.oneof(unicodeString.map((s) => s.normalize("NFC")), fc.nat(50).map(String)),
    tie("value"),
    {
      maxKeys: 5,
    },
  )
    .filter((o) => !Object.keys(o).includes("__proto__")).map((o) => ({ ...o })),
})).object;

const recordArb = fc.record({
  ts: fc.maxSafeNat(),
  writer: unicodeString.filter((s) => s.length > 0 && s.length <= 40),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  actor: jsonValue,
  subject: jsonValue,
  attrs: jsonValue,
  reason: unicodeString,
}).map((r) =>
  baseRecord({
    ts_ms: r.ts,
    writer_id: r.writer,
    seq: r.seq,
    actor: r.actor,
    subject: r.subject,
    attrs: r.attrs,
    reason: r.reason,
  })
).filter((record) => {
  try {
    canonicalizeRecord(record, { maxRecordBytes: 1 << 20, maxAttrsBytes: 1 << 20 });
    return true;
  } catch {
    return false; // e.g. two generated keys equal after NFC
  }
});
const bigBounds = { maxRecordBytes: 1 << 20, maxAttrsBytes: 1 << 20 };

Deno.test("canonical property: idempotent — canonical text re-reads to the same bytes and value", () => {
  fc.assert(
    fc.property(recordArb, (record) => {
      const once = canonicalizeRecord(record, bigBounds);
      const twice = canonicalizeRecord(readJsonText(once.text), bigBounds, "require");
      assert.equal(twice.text, once.text);
      assert.deepEqual(readJsonText(once.text), once.record);
    }),
    fcParams(),
  );
});

Deno.test("canonical property: insensitive to key order, whitespace and NFD spelling", () => {
  fc.assert(
    fc.property(recordArb, fc.nat(), (record, salt) => {
      const expected = canonicalizeRecord(record, bigBounds).text;
      const reordered = reorderKeys(record, salt) as JsonObject;
      assert.equal(canonicalizeRecord(reordered, bigBounds).text, expected);
      assert.equal(
        canonicalizeRecord(readJsonText(JSON.stringify(reordered, null, salt % 5)), bigBounds).text,
        expected,
      );
      assert.equal(canonicalizeRecord(toNfd(record), bigBounds).text, expected);
    }),
    fcParams(),
  );
});

Deno.test("canonical property: nested values equal a reference RFC 8785 writer over NFC strings", () => {
  fc.assert(
    fc.property(jsonValue, jsonValue, (attrs, subject) => {
      const text = canonicalizeRecord(baseRecord({ attrs, subject }), bigBounds).text;
      assert.ok(text.includes(`"subject":${reference(subject)},"reason"`));
      assert.ok(text.endsWith(`"attrs":${reference(attrs)},"prev":"b3:0"}`));
    }),
    fcParams(),
  );
});

Deno.test("canonical property: ATTRS_TOO_LARGE exactly when the canonical attrs pass the bound", () => {
  const escapes = fc.constantFrom("a", "\u00e9", "\u{1F600}", '"', "\\", "\n", "\u0001", "\u4e2d");
  const filler = fc.array(escapes, { maxLength: 40 }).map((parts) => parts.join(""));
  fc.assert(
    fc.property(
      recordArb,
      filler,
      filler,
      fc.integer({ min: 0, max: 300 }),
      (record, extra, reason, bound) => {
        const attrs = { ...record.attrs as JsonObject, zz: extra };
        const value = { ...record, attrs, reason };
        const attrsBytes = new TextEncoder().encode(reference(attrs)).length;
        const bounds = { maxRecordBytes: 1 << 20, maxAttrsBytes: Math.max(0, attrsBytes - 150 + bound) };
        let code = "none";
        try {
          canonicalizeRecord(value, bounds);
        } catch (error) {
          code = (error as CanonicalError).code;
        }
        assert.equal(code, attrsBytes > bounds.maxAttrsBytes ? "ATTRS_TOO_LARGE" : "none");
      },
    ),
    fcParams(),
  );
});

/** Independent oracle: keys sorted by UTF-16 code units (the default sort), strings in NFC. */
function reference(value: JsonValue): string {
  if (typeof value === "string") return JSON.stringify(value.normalize("NFC"));
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
  const entries = Object.entries(value).map(([k, v]) => [k.normalize("NFC"), v] as const);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(",")}}`;
}

function reorderKeys(value: JsonValue, salt: number): JsonValue {
  if (Array.isArray(value)) return value.map((v) => reorderKeys(v, salt));
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  const rotated = keys.map((_, i) => keys[(i + salt) % keys.length]).reverse();
  const out: JsonObject = {};
  for (const key of rotated) out[key] = reorderKeys(value[key], salt + 1);
  return out;
}

function toNfd(value: JsonValue): JsonValue {
  if (typeof value === "string") return value.normalize("NFD");
  if (Array.isArray(value)) return value.map(toNfd);
  if (value === null || typeof value !== "object") return value;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) out[key.normalize("NFD")] = toNfd(v);
  return out;
}

function deepArray(depth: number): JsonValue {
  let value: JsonValue = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

function baseRecord(overrides: Partial<Record<string, JsonValue>>): JsonObject {
  return {
    v: 1,
    ts_ms: 1,
    writer_id: "w",
    seq: 1,
    stream: "default",
    kind: "K",
    actor: {},
    subject: {},
    reason: "",
    attrs: {},
    prev: "b3:0",
    ...overrides,
  } as JsonObject;
}
