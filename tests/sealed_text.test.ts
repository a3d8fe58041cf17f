/**
 * `readCanonicalSealedText` (JSON.parse plus a comparison with the canonical form) against the
 * strict path it stands in for (the strict reader, `verifySealedRecord`, the same comparison):
 * both must accept exactly the same texts, to the same record. Each text claims the hash of its
 * own bytes, or the hash of the canonical form of what `JSON.parse` reads from it; with the
 * latter a loose spelling (a duplicate key, `2.0`, an escape variant, white space) passes the
 * hash check, and only the comparison with the canonical text can refuse it.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { DEFAULT_BOUNDS } from "../core/canonical.ts";
import { formatHash } from "../core/hash.ts";
import {
  genesisHead,
  readCanonicalSealedText,
  sealCompleteRecord,
  type SealedRecord,
  sealedText,
  sealRecord,
  verifySealedRecord,
} from "../core/record.ts";
import { readJsonText } from "../core/json_reader.ts";
import { loadHasher } from "../wasm/hasher.ts";
import { codeOfSync } from "./_codes.ts";
import { fcParams } from "./_fc.ts";
import { agentDraft } from "./_ledger.ts";
import { oneEditOf } from "./_mutations.ts";

const b3 = await loadHasher("b3");
const encoder = new TextEncoder();

/** `body` (a record's text without `self_hash`) sealed with the hash of its own bytes. */
function claimingOwnHash(body: string): string {
  return withSelfHash(body, formatHash("b3", b3.digest(encoder.encode(body))));
}

/**
 * `body` sealed with the hash of the canonical form of what `JSON.parse` reads from it (its own
 * bytes' hash when it has none): a loose spelling then passes the hash check, and only the
 * comparison of texts refuses it.
 */
function claimingParsedHash(body: string): string {
  let selfHash: string;
  try {
    selfHash = sealCompleteRecord(JSON.parse(body), b3).selfHash;
  } catch {
    return claimingOwnHash(body);
  }
  return withSelfHash(body, selfHash);
}

function withSelfHash(body: string, selfHash: string): string {
  return body.endsWith("}") ? sealedText({ text: body, selfHash }) : `${body},"self_hash":"${selfHash}"}`;
}

/** Both claims on `body`. */
function claims(body: string): string[] {
  return [claimingOwnHash(body), claimingParsedHash(body)];
}

function strictly(text: string): SealedRecord | undefined {
  let sealed: SealedRecord | undefined;
  const code = codeOfSync(() => {
    sealed = verifySealedRecord(readJsonText(text), b3, DEFAULT_BOUNDS);
  });
  return code === undefined && sealedText(sealed!) === text ? sealed : undefined;
}

function assertSameVerdict(text: string): void {
  const fast = readCanonicalSealedText(text, b3, DEFAULT_BOUNDS, {});
  const strict = strictly(text);
  assert.equal(fast === undefined, strict === undefined, `verdicts differ on ${JSON.stringify(text)}`);
  if (fast !== undefined) {
    assert.equal(fast.text, strict!.text);
    assert.equal(fast.selfHash, strict!.selfHash);
    assert.deepEqual(fast.record, strict!.record);
  }
}

const canonicalBody = sealRecord(
  agentDraft(5, {
    reason: "café — ok 😀",
    attrs: {
      i: 5,
      list: [1, -2, "x", { k: null, b: false }],
      nested: { a: { b: { c: "d" } } },
      n: 9007199254740991,
    },
  }),
  genesisHead("b3"),
  { tsMs: 1_730_246_400_000, writerId: "agent@host" },
  b3,
).text;

/** The canonical body with `attrs` holding arrays nested `arrays` deep: the record's depth is `arrays + 2`. */
function nestedAttrs(arrays: number): string {
  return canonicalBody.replace(
    /"attrs":\{.*\},"prev"/,
    `"attrs":{"a":${"[".repeat(arrays)}${"]".repeat(arrays)}},"prev"`,
  );
}

Deno.test("sealed text: the canonical text is accepted by both readers, to the same record", () => {
  const text = claimingOwnHash(canonicalBody);
  assert.notEqual(readCanonicalSealedText(text, b3, DEFAULT_BOUNDS, {}), undefined);
  assertSameVerdict(text);
});

Deno.test("sealed text: loose spellings JSON.parse takes are refused by both readers; canonical ones accepted", () => {
  const variants: [body: string, canonical: boolean][] = [
    [canonicalBody.replace('"i":5', '"i":5.0'), false],
    [canonicalBody.replace('"i":5', '"i":5e0'), false],
    [canonicalBody.replace('"i":5', '"i":-0'), false],
    [canonicalBody.replace('"i":5', '"i":0'), true],
    [canonicalBody.replace('"attrs":{', '"attrs":{"i":4,'), false],
    [canonicalBody.replace('"kind":"T', '"kind":"\\u0054'), false],
    [canonicalBody.replace("café", "cafe\u0301"), false],
    [canonicalBody.replace("café", "caf\\u00e9"), false],
    [canonicalBody.replace('"x"', '"\\ud800"'), false],
    [canonicalBody.replace("9007199254740991", "9007199254740993"), false],
    [canonicalBody.replace('{"a":{"b"', '{"__proto__":{"b"'), true],
    [canonicalBody.replace('"attrs":{', '"attrs":{"10":1,"9":2,'), true],
    [canonicalBody.replace('"attrs":{', '"attrs":{"9":2,"10":1,'), false],
    [canonicalBody.replace(",", ", "), false],
    [`\ufeff${canonicalBody}`, false],
    [nestedAttrs(29), true],
    [nestedAttrs(30), true],
    [nestedAttrs(31), false],
    [nestedAttrs(40), false],
  ];
  for (const [body, canonical] of variants) {
    assert.notEqual(body, canonicalBody);
    for (const text of claims(body)) {
      assertSameVerdict(text);
      assert.equal(
        strictly(text) !== undefined,
        canonical,
        `verdict on ${JSON.stringify(text.slice(0, 200))}`,
      );
    }
  }
});

Deno.test("sealed text property: one edit of a record, claiming either hash, gets the same verdict from both readers", () => {
  fc.assert(
    fc.property(oneEditOf(canonicalBody), (body) => claims(body).forEach(assertSameVerdict)),
    fcParams(10),
  );
});

Deno.test("sealed text property: one edit of a sealed record text gets the same verdict from both readers", () => {
  const text = claimingOwnHash(canonicalBody);
  fc.assert(fc.property(oneEditOf(text), assertSameVerdict), fcParams(5));
});
