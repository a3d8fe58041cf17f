import assert from "node:assert/strict";
import { ChainError } from "../core/errors.ts";
import type { JsonObject } from "../core/json.ts";
import {
  ChainTracker,
  genesisHead,
  readDraftText,
  sealedJson,
  type SealedRecord,
  sealedText,
  sealRecord,
  verifyChainSegment,
  verifyLink,
  verifySealedRecord,
} from "../core/record.ts";
import { readJsonText } from "../core/json_reader.ts";
import { loadHasher } from "../wasm/hasher.ts";
import { codeOfSync } from "./_codes.ts";

const b3 = await loadHasher("b3");
const defaults = { tsMs: 1_730_246_400_000, writerId: "svc-gateway@inst-1" };

function chain(count: number, stream = "ingress", writer?: string): SealedRecord[] {
  const out: SealedRecord[] = [];
  let head = genesisHead("b3");
  for (let i = 0; i < count; i++) {
    const draft = readDraftText(`{"kind":"ToolCalled","stream":"${stream}","attrs":{"i":${i}}}`);
    const sealed = sealRecord(writer ? { ...draft, writer_id: writer } : draft, head, defaults, b3);
    head = { prev: sealed.selfHash, nextSeq: head.nextSeq + 1 };
    out.push(sealed);
  }
  return out;
}

Deno.test("record: sealing a draft fills defaults and reproduces SPEC vector 1", () => {
  const draft = readDraftText(
    `{"kind":"GetServed","stream":"ingress","actor":{"anon":true},"reason":"ok","ts_ms":1730246400000}`,
  );
  const sealed = sealRecord(draft, genesisHead("b3"), defaults, b3);
  assert.equal(sealed.selfHash, "b3:0c1a9dc479041a90fc084e5090d29f743f179a895a73f31181110c02f65ee001");
  const next = sealRecord(
    readDraftText(
      `{"kind":"QuotaReject","stream":"ingress","actor":{"passport_id":"u:abcd"},"subject":{"content_id":"b3:1111"},"reason":"audit_backpressure","attrs":{"q":"work"},"ts_ms":1730246400100,"seq":2}`,
    ),
    { prev: sealed.selfHash, nextSeq: 2 },
    defaults,
    b3,
  );
  assert.equal(next.selfHash, "b3:7c99df3b377aa7f1c97b700faa07061e3e970ce04539bb1bb191bb56811cc70b");
  verifyLink(sealed, next);
});

Deno.test("record: a draft's seq and prev must agree with the chain head", () => {
  const head = { prev: `b3:${"11".repeat(32)}`, nextSeq: 5 };
  const draft = readDraftText(`{"kind":"K"}`);
  assert.equal(codeOfSync(() => sealRecord({ ...draft, seq: 7 }, head, defaults, b3)), "SEQ_GAP");
  assert.equal(codeOfSync(() => sealRecord({ ...draft, seq: 4 }, head, defaults, b3)), "SEQ_REUSED");
  assert.equal(codeOfSync(() => sealRecord({ ...draft, seq: 0 }, head, defaults, b3)), "BAD_FIELD");
  assert.equal(codeOfSync(() => sealRecord({ ...draft, seq: 5.5 }, head, defaults, b3)), "BAD_FIELD");
  assert.equal(codeOfSync(() => sealRecord({ ...draft, prev: "b3:0" }, head, defaults, b3)), "PREV_MISMATCH");
  assert.equal(sealRecord({ ...draft, seq: 5, prev: head.prev }, head, defaults, b3).record.seq, 5);
  assert.equal(codeOfSync(() => readDraftText(`{"stream":"x"}`)), "MISSING_FIELD");
  assert.equal(codeOfSync(() => readDraftText(`{"kind":"K","self_hash":"b3:0"}`)), "UNKNOWN_FIELD");
});

Deno.test("record: an NFD writer_id lands in the NFC chain", () => {
  const sealed = sealRecord(
    readDraftText(`{"kind":"K","writer_id":"cafe\\u0301"}`),
    genesisHead("b3"),
    defaults,
    b3,
  );
  assert.equal(sealed.record.writer_id, "caf\u00e9");
});

Deno.test("record: sealed text round-trips and verifies; any content change is HASH_MISMATCH", () => {
  const [sealed] = chain(1);
  const value = readJsonText(sealedText(sealed));
  assert.deepEqual(value, sealedJson(sealed));
  assert.equal(verifySealedRecord(value, b3).selfHash, sealed.selfHash);
  for (
    const [field, replacement] of Object.entries({ ts_ms: 1, kind: "Other", reason: "x", attrs: { i: 1 } })
  ) {
    const tampered = { ...(value as JsonObject), [field]: replacement };
    assert.throws(() => verifySealedRecord(tampered, b3), (e: unknown) => {
      assert.ok(e instanceof ChainError);
      assert.equal(e.code, "HASH_MISMATCH");
      assert.equal(e.where.seq, 1);
      return true;
    });
  }
  const nfd = { ...(value as JsonObject), reason: "cafe\u0301" };
  assert.equal(codeOfSync(() => verifySealedRecord(nfd, b3)), "NOT_CANONICAL");
  const sha = { ...(value as JsonObject), self_hash: `sha256:${"00".repeat(32)}` };
  assert.equal(codeOfSync(() => verifySealedRecord(sha, b3)), "ALG_MISMATCH");
});

Deno.test("record: chain segments detect dropped, reordered, inserted and foreign records", () => {
  const records = chain(6);
  const values = records.map(sealedJson);
  assert.equal(verifyChainSegment(values, b3).length, 6);
  assert.equal(codeOfSync(() => verifyChainSegment([values[0], values[2]], b3)), "SEQ_GAP");
  assert.equal(codeOfSync(() => verifyChainSegment([values[1], values[0]], b3)), "SEQ_GAP");
  const forged = sealRecord(
    readDraftText(`{"kind":"Forged","stream":"ingress"}`),
    { prev: records[1].selfHash, nextSeq: 3 },
    defaults,
    b3,
  );
  const withForgery = [values[0], values[1], sealedJson(forged), values[3]];
  assert.equal(codeOfSync(() => verifyChainSegment(withForgery, b3)), "PREV_MISMATCH");
  const other = chain(2, "egress").map(sealedJson);
  assert.equal(codeOfSync(() => verifyChainSegment([values[0], other[1]], b3)), "CHAIN_MISMATCH");
  assert.equal(
    codeOfSync(() => verifyChainSegment(values.slice(2), b3)),
    undefined,
    "a mid-chain segment stands alone",
  );
  assert.equal(
    codeOfSync(() =>
      verifyChainSegment(values.slice(2), b3, { start: { prev: records[0].selfHash, nextSeq: 2 } })
    ),
    "SEQ_GAP",
  );
  assert.equal(codeOfSync(() => verifyLink(records[0], records[2])), "SEQ_GAP");
});

Deno.test("record: ChainTracker follows interleaved chains and requires genesis starts", () => {
  const a = chain(3, "a");
  const b = chain(3, "b");
  const tracker = new ChainTracker("b3");
  for (const sealed of [a[0], b[0], a[1], b[1], b[2], a[2]]) tracker.accept(sealed);
  assert.equal(tracker.headOf("svc-gateway@inst-1", "a")?.nextSeq, 4);
  const strict = new ChainTracker("b3");
  assert.equal(codeOfSync(() => strict.accept(a[1])), "SEQ_GAP");
  const resumed = new ChainTracker("b3");
  resumed.expect("svc-gateway@inst-1", "a", { prev: a[0].selfHash, nextSeq: 2 });
  resumed.accept(a[1]);
  assert.equal(codeOfSync(() => resumed.accept(a[1])), "SEQ_GAP");
});
