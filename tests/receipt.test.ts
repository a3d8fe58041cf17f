import assert from "node:assert/strict";
import { signCheckpoint } from "../core/checkpoint.ts";
import { parseSignerKey, parseVerifierKey } from "../core/keys.ts";
import {
  formatReceipt,
  parseReceipt,
  receiptFromTlogProof,
  receiptToTlogProof,
  verifyReceipt,
} from "../core/receipt.ts";
import { formatTlogProof, parseTlogProof } from "../core/tlog_proof.ts";
import { utf8 } from "../core/encoding.ts";
import { ReceiptError } from "../core/errors.ts";
import type { JsonValue } from "../core/json.ts";
import { MerkleHasher } from "../core/merkle_hasher.ts";
import { MemoryNodeStore, MerkleTree } from "../core/merkle_tree.ts";
import { genesisHead, sealedText, sealRecord } from "../core/record.ts";
import { buildSampleLog, VECTOR_ORIGIN } from "../vectors/_build.ts";
import { loadVector } from "./_vectors.ts";
import { codeOf } from "./_codes.ts";
import { fcParams } from "./_fc.ts";
import fc from "fast-check";

interface CheckpointVector {
  signer_key: string;
  verifier_key: string;
  checkpoint_note: string;
  receipt: string;
}

const vector = loadVector<CheckpointVector>("checkpoint.json");
const verifier = await parseVerifierKey(vector.verifier_key);
const { signer } = await parseSignerKey(vector.signer_key);
const { hasher, tree, records } = await buildSampleLog("b3", 11);
const note = await signCheckpoint({ origin: VECTOR_ORIGIN, size: 11, root: tree.root(), extensions: [] }, [
  signer,
]);
const receipts = records.map((r, i) => formatReceipt(r, i, tree.inclusionProof(i, 11), note));

Deno.test("receipt: every record's receipt verifies offline with only the verifier key", async () => {
  for (const [i, text] of receipts.entries()) {
    const verified = await verifyReceipt(text, [verifier], hasher);
    assert.equal(verified.index, i);
    assert.equal(verified.record.selfHash, records[i].selfHash);
    assert.equal(verified.checkpoint.checkpoint.size, 11);
  }
  assert.equal((await verifyReceipt(vector.receipt, [verifier], hasher)).index, 2);
});

Deno.test("receipt: tampering with any field gives a precise error", async () => {
  const r = receipts[5];
  const parsed = JSON.parse(r);
  const cases: [string, string][] = [
    [r.replace(`"attrs":{"i":5}`, `"attrs":{"i":6}`), "HASH_MISMATCH"],
    [r.replace(`"seq":6`, `"seq":7`), "HASH_MISMATCH"],
    [r.replace(records[5].selfHash, records[4].selfHash), "HASH_MISMATCH"],
    [r.replace(`"index":5`, `"index":4`), "ROOT_MISMATCH"],
    [r.replace(`"index":5`, `"index":11`), "INDEX_OUT_OF_RANGE"],
    [JSON.stringify({ ...parsed, proof: parsed.proof.slice(1) }), "PROOF_TOO_SHORT"],
    [JSON.stringify({ ...parsed, proof: [...parsed.proof, parsed.proof[0]] }), "PROOF_TOO_LONG"],
    [
      JSON.stringify({ ...parsed, proof: [parsed.proof[1], parsed.proof[0], ...parsed.proof.slice(2)] }),
      "ROOT_MISMATCH",
    ],
    [JSON.stringify({ ...parsed, proof: ["AAAA", ...parsed.proof.slice(1)] }), "RECEIPT_MALFORMED"],
    [
      JSON.stringify({ ...parsed, checkpoint: parsed.checkpoint.replace("\n11\n", "\n12\n") }),
      "BAD_SIGNATURE",
    ],
    [r.replace(`"v":1,"record"`, `"v":1,"extra":1,"record"`), "UNKNOWN_FIELD"],
    [r.replace(`"index":5`, `"index":5.0`), "FLOAT_DISALLOWED"],
    [r.replace(`"index":5`, `"index":-5`), "RECEIPT_MALFORMED"],
    [r.replace(`"v":1,"record"`, `"v":2,"record"`), "RECEIPT_MALFORMED"],
    [r.replace(`"index":5`, `"index":5,"index":5`), "DUPLICATE_KEY"],
    [r.slice(0, -1), "BAD_JSON"],
  ];
  for (const [text, code] of cases) {
    assert.notEqual(text, r, `the ${code} case must change the receipt`);
    assert.equal(await codeOf(() => verifyReceipt(text, [verifier], hasher)), code, code);
  }
  const other = await parseVerifierKey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  assert.equal(await codeOf(() => verifyReceipt(r, [other], hasher)), "UNVERIFIED_NOTE");
});

Deno.test("receipt: every character of a receipt and of its tlog-proof, flipped, is refused", async () => {
  const receipt = receipts[6];
  const tlog = receiptToTlogProof(parseReceipt(receipt));
  for (
    const [form, text, verify] of [
      ["receipt", receipt, (t: string) => verifyReceipt(t, [verifier], hasher)],
      ["tlog-proof", tlog, (t: string) => verifyReceipt(receiptFromTlogProof(t), [verifier], hasher)],
    ] as const
  ) {
    assert.equal((await verify(text)).index, 6);
    const accepted: number[] = [];
    for (let at = 0; at < text.length; at++) {
      const flipped = text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ 1) + text.slice(at + 1);
      if ((await codeOf(() => verify(flipped))) === undefined) accepted.push(at);
    }
    assert.deepEqual(
      accepted,
      [],
      `${form}: flips accepted at ${accepted.map((at) => JSON.stringify(text.slice(at - 5, at + 5)))}`,
    );
  }
});

Deno.test("receipt: property: any leaf at any tree size round-trips through the tlog-proof form; any character changed is refused", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.nat(10),
      fc.nat(10),
      fc.nat(),
      fc.integer({ min: 1, max: 127 }),
      fc.boolean(),
      async (index, extra, charPick, mask, asTlogProof) => {
        const size = Math.min(index + 1 + extra, 11);
        const checkpoint = await signCheckpoint(
          { origin: VECTOR_ORIGIN, size, root: tree.rootAt(size), extensions: [] },
          [signer],
        );
        const text = formatReceipt(records[index], index, tree.inclusionProof(index, size), checkpoint);
        const tlog = receiptToTlogProof(parseReceipt(text));
        assert.deepEqual(
          receiptFromTlogProof(tlog),
          parseReceipt(text),
          "the tlog-proof reads back as the receipt",
        );
        assert.equal(receiptToTlogProof(receiptFromTlogProof(tlog)), tlog, "and writes back the same text");
        const form = asTlogProof ? tlog : text;
        const verify = (t: string) =>
          verifyReceipt(asTlogProof ? receiptFromTlogProof(t) : t, [verifier], hasher);
        assert.deepEqual([(await verify(form)).index, (await verify(form)).checkpoint.checkpoint.size], [
          index,
          size,
        ]);
        const at = charPick % form.length;
        const changed = form.slice(0, at) + String.fromCharCode(form.charCodeAt(at) ^ mask) +
          form.slice(at + 1);
        assert.notEqual(await codeOf(() => verify(changed)), undefined, `character ${at} ^ ${mask} accepted`);
      },
    ),
    fcParams(),
  );
});

Deno.test("receipt: the C2SP tlog-proof form carries the same proof and verifies the same way", async () => {
  const receipt = parseReceipt(receipts[7]);
  const tlog = receiptToTlogProof(receipt);
  assert.ok(tlog.startsWith("c2sp.org/tlog-proof@v1\nextra "));
  assert.match(tlog, /\nindex 7\n/);
  assert.ok(tlog.endsWith(`\n\n${note}`));
  const parsed = parseTlogProof(tlog);
  assert.deepEqual(parsed.proof, receipt.proof);
  assert.equal(parsed.checkpoint, note);
  const back = receiptFromTlogProof(tlog);
  assert.equal((await verifyReceipt(back, [verifier], hasher)).record.selfHash, records[7].selfHash);
  const bad = tlog.replace("\nindex 7\n", "\nindex 07\n");
  assert.equal(await codeOf(() => Promise.resolve(parseTlogProof(bad))), "TLOG_PROOF_MALFORMED");
});

Deno.test("receipt: each malformed part of a tlog-proof is refused at its line", () => {
  const tlog = receiptToTlogProof(parseReceipt(receipts[7]));
  const lines = tlog.split("\n");
  const proofLine = lines.findIndex((line) => line.startsWith("index ")) + 2;
  const replaced = (line: number, text: string) =>
    lines.map((l, i) => (i === line - 1 ? text : l)).join("\n");
  const cases: [string, string, number | undefined][] = [
    [tlog.replaceAll("\n\n", "\n"), "no blank line before the checkpoint", undefined],
    [replaced(2, "extra AB=C"), "extra is not canonical base64", 2],
    [replaced(3, "index 9007199254740993"), "expected 'index N'", 3],
    [
      replaced(proofLine + 1, new Uint8Array(31).toBase64()),
      "proof line is not base64 of 32 bytes",
      proofLine + 1,
    ],
    [replaced(proofLine, new Uint8Array(33).toBase64()), "proof line is not base64 of 32 bytes", proofLine],
  ];
  for (const [text, message, line] of cases) {
    assert.throws(() => parseTlogProof(text), (e: unknown) => {
      assert.ok(e instanceof ReceiptError, message);
      assert.equal(e.code, "TLOG_PROOF_MALFORMED");
      assert.ok(e.message.startsWith(`tlog-proof ${message}`), e.message);
      assert.equal(e.where.line, line, message);
      return true;
    });
  }
});

Deno.test("receipt: a tlog-proof's extra data is the hashed text, even for integer-like keys a parsed object reorders", async () => {
  const sealed = sealRecord(
    { kind: "ToolCalled", attrs: { "10": 1, "9": 2, "1": 3, b: 4, "\uff61": 5, "😀": 6 } },
    genesisHead("b3"),
    { tsMs: 0, writerId: "agent" },
    hasher,
  );
  const text = sealedText(sealed);
  assert.ok(
    text.includes('{"1":3,"10":1,"9":2,"b":4,"😀":6,"\uff61":5}'),
    "canonical: UTF-16 code-unit order",
  );
  const tree = new MerkleTree(new MerkleHasher(hasher), new MemoryNodeStore());
  tree.appendEntry(sealed.digest);
  const oneNote = await signCheckpoint(
    { origin: VECTOR_ORIGIN, size: 1, root: tree.root(), extensions: [] },
    [
      signer,
    ],
  );
  const receipt = parseReceipt(formatReceipt(sealed, 0, [], oneNote));
  assert.notEqual(
    JSON.stringify(receipt.record),
    text,
    "the parsed object alone would not give the hashed text",
  );
  const extra = parseTlogProof(receiptToTlogProof(receipt)).extra!;
  assert.equal(new TextDecoder().decode(extra), text);
  assert.equal(hasher.digest(utf8(sealed.text)).toHex(), sealed.selfHash.slice(3));
  const verified = await verifyReceipt(receiptFromTlogProof(receiptToTlogProof(receipt)), [verifier], hasher);
  assert.equal(verified.record.selfHash, sealed.selfHash);
  const noHash = { ...(receipt.record as Record<string, unknown>) };
  delete noHash.self_hash;
  assert.equal(
    await codeOf(() => Promise.resolve(receiptToTlogProof({ ...receipt, record: noHash as JsonValue }))),
    "RECEIPT_MALFORMED",
  );
});

Deno.test("receipt: a tlog-proof whose extra record bytes start with a byte-order mark is refused", async () => {
  const proof = parseTlogProof(receiptToTlogProof(parseReceipt(receipts[6])));
  const withMark = formatTlogProof({ ...proof, extra: new Uint8Array([0xef, 0xbb, 0xbf, ...proof.extra!]) });
  assert.equal(
    await codeOf(() => verifyReceipt(receiptFromTlogProof(withMark), [verifier], hasher)),
    "RECEIPT_MALFORMED",
  );
});
