import assert from "node:assert/strict";
import fc from "fast-check";
import { CanonicalError } from "../core/errors.ts";
import type { JsonValue } from "../core/json.ts";
import { readJsonBytes, readJsonText } from "../core/json_reader.ts";
import { fcParams } from "./_fc.ts";
import { codeOfSync } from "./_codes.ts";

const strictJson = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.string({ unit: "grapheme" }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: "grapheme" }), tie("value"), { maxKeys: 4 }).map((o) => ({ ...o })),
  ),
})).value;

Deno.test("json reader property: reads back whatever JSON.stringify wrote, in any indentation", () => {
  fc.assert(
    fc.property(strictJson, fc.integer({ min: 0, max: 4 }), (value, indent) => {
      assert.deepEqual(readJsonText(JSON.stringify(value, null, indent)), JSON.parse(JSON.stringify(value)));
    }),
    fcParams(),
  );
});

Deno.test("json reader property: a fraction or exponent anywhere is FLOAT_DISALLOWED", () => {
  fc.assert(
    fc.property(fc.integer(), fc.constantFrom(".0", ".5", "e3", "E-1", "e+2", ".25e1"), (n, tail) => {
      assert.equal(codeOfSync(() => readJsonText(`{"a":[1,{"b":${n}${tail}}]}`)), "FLOAT_DISALLOWED");
    }),
    fcParams(),
  );
});

Deno.test("json reader property: a repeated key at any depth is DUPLICATE_KEY", () => {
  fc.assert(
    fc.property(fc.string(), fc.integer({ min: 0, max: 5 }), (key, depth) => {
      const k = JSON.stringify(key);
      const inner = `{${k}:1,"other":2,${k}:3}`;
      const text = `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`;
      assert.equal(codeOfSync(() => readJsonText(text)), "DUPLICATE_KEY");
    }),
    fcParams(),
  );
});

Deno.test("json reader: errors carry a code and the character offset", () => {
  const cases: [string, string, number][] = [
    [`{"a":1,"a":2}`, "DUPLICATE_KEY", 7],
    [`[1, 2.5]`, "FLOAT_DISALLOWED", 4],
    [`[9007199254740993]`, "UNSAFE_INTEGER", 1],
    [`["\\udc00"]`, "LONE_SURROGATE", 1],
    [`[1,]`, "BAD_JSON", 3],
    [`{"a" 1}`, "BAD_JSON", 5],
    [`"abc`, "BAD_JSON", 0],
    [``, "BAD_JSON", 0],
    [`[1] [2]`, "BAD_JSON", 4],
    [`"\\x"`, "BAD_JSON", 1],
    [`"\\u12g4"`, "BAD_JSON", 1],
    [`${"[".repeat(33)}${"]".repeat(33)}`, "NESTING_TOO_DEEP", 32],
    [`{a":1}`, "BAD_JSON", 1],
    [`{"a":1 x"b":2}`, "BAD_JSON", 7],
    [`[1 23]`, "BAD_JSON", 3],
    [`[-x]`, "BAD_JSON", 2],
    [`"a\\n`, "BAD_JSON", 4],
    [`"\\n\u0001"`, "BAD_JSON", 3],
    [`"\\u12`, "BAD_JSON", 1],
    [`\u000b1`, "BAD_JSON", 0],
    [`\u00a01`, "BAD_JSON", 0],
    [`\f1`, "BAD_JSON", 0],
  ];
  for (const [text, code, offset] of cases) {
    assert.throws(() => readJsonText(text), (e: unknown) => {
      assert.ok(e instanceof CanonicalError, text);
      assert.equal(e.code, code, text);
      assert.equal(e.where.offset, offset, text);
      return true;
    });
  }
  assert.deepEqual(
    readJsonText(`${"[".repeat(32)}${"]".repeat(32)}`),
    JSON.parse(`${"[".repeat(32)}${"]".repeat(32)}`),
  );
  assert.deepEqual(readJsonText(`[-0, "\\ud83d\\ude00", "\\u00e9\\/"]`), [0, "😀", "é/"]);
  assert.deepEqual(readJsonText(` \t\r\n["\\u00E9\\b\\f\\n\\r\\t\\"\\\\"]\n`), ['é\b\f\n\r\t"\\']);
});

Deno.test("json reader: the message names what was expected", () => {
  const cases: [string, string][] = [
    [`{"a":`, "unexpected end of input"],
    [`{a":1}`, "expected a string key"],
    [`[1 2]`, "expected ',' or ']'"],
    [`{"a":1 "b":2}`, "expected ',' or '}'"],
    [`-`, "expected a digit"],
    [`"\\u12`, "bad \\u escape"],
    [`"\\n`, "unterminated string"],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => readJsonText(text),
      (e: unknown) => e instanceof CanonicalError && e.message.includes(message),
      text,
    );
  }
});

Deno.test("json reader: invalid UTF-8 bytes are BAD_UTF8", () => {
  assert.equal(codeOfSync(() => readJsonBytes(new Uint8Array([0x22, 0xff, 0x22]))), "BAD_UTF8");
  assert.deepEqual(readJsonBytes(new TextEncoder().encode(`{"é":1}`)), { "é": 1 });
});
