/**
 * Builds the project's own vectors from fixed inputs. `generate.ts` writes them to `vectors/`;
 * `tests/vectors.test.ts` rebuilds them and compares with the committed files.
 * @module
 */
import { canonicalizeRecord } from "../core/canonical.ts";
import { signCheckpoint } from "../core/checkpoint.ts";
import { SecuraMemError } from "../core/errors.ts";
import { formatHash, type HashAlg, type Hasher } from "../core/hash.ts";
import { readJsonText } from "../core/json_reader.ts";
import { ALG_COSIGNATURE_V1, keyPairFromSeed, parseSignerKey } from "../core/keys.ts";
import { parseCosignerKey } from "../core/cosignature.ts";
import { cosignNote } from "../core/note.ts";
import { MerkleHasher } from "../core/merkle_hasher.ts";
import { decompose, MemoryNodeStore, MerkleTree } from "../core/merkle_tree.ts";
import { genesisHead, readDraftText, type SealedRecord, sealedText, sealRecord } from "../core/record.ts";
import { bundleLine, rightNodes } from "../core/bundle.ts";
import { signRotation } from "../core/rotation.ts";
import { formatCheckpointExtension } from "../core/checkpoint_extension.ts";
import { formatReceipt } from "../core/receipt.ts";
import { loadHasher } from "../wasm/hasher.ts";

/** Canonical-form cases: several spellings of one record and the bytes and hashes they must give. */
export const CANONICAL_CASES: { name: string; inputs: string[] }[] = [
  {
    name: "spec-vector-1",
    inputs: [
      `{"v":1,"ts_ms":1730246400000,"writer_id":"svc-gateway@inst-1","seq":1,"stream":"ingress","kind":"GetServed","actor":{"anon":true},"subject":{},"reason":"ok","attrs":{},"prev":"b3:0"}`,
      `{\n  "prev": "b3:0",\n  "attrs": {},\n  "reason": "ok",\n  "subject": {},\n  "actor": { "anon": true },\n  "kind": "GetServed",\n  "stream": "ingress",\n  "seq": 1,\n  "writer_id": "svc-gateway@inst-1",\n  "ts_ms": 1730246400000,\n  "v": 1\n}`,
      `{"kind":"Get\\u0053erved","v":1,"seq":1,"ts_ms":1730246400000,"stream":"ingress","writer_id":"svc-gateway\\u0040inst-1","actor":{"anon":true},"subject":{},"reason":"ok","attrs":{},"prev":"b3:0"}`,
    ],
  },
  {
    name: "spec-vector-2",
    inputs: [
      `{"v":1,"ts_ms":1730246400100,"writer_id":"svc-gateway@inst-1","seq":2,"stream":"ingress","kind":"QuotaReject","actor":{"passport_id":"u:abcd"},"subject":{"content_id":"b3:1111"},"reason":"audit_backpressure","attrs":{"q":"work"},"prev":"b3:0c1a9dc479041a90fc084e5090d29f743f179a895a73f31181110c02f65ee001"}`,
      `\t{ "attrs" : { "q" : "work" } , "prev":"b3:0c1a9dc479041a90fc084e5090d29f743f179a895a73f31181110c02f65ee001",\r\n "subject":{"content_id":"b3:1111"}, "actor":{"passport_id":"u:abcd"}, "reason":"audit_backpressure", "kind":"QuotaReject","stream":"ingress","seq":2,"writer_id":"svc-gateway@inst-1","ts_ms":1730246400100,"v":1 }  `,
    ],
  },
  {
    name: "unicode-nfc-and-key-order",
    inputs: [
      `{"v":1,"ts_ms":5,"writer_id":"agent-caf\u00e9","seq":1,"stream":"default","kind":"ModelInvoked","actor":{"user_id":"\u00c5sa","role":"analyst"},"subject":{"model":"m\u00f6del-7","z":[1,-2,0,"\u00e9"],"\u00e9":true,"e":null,"\ud83d\ude00":"emoji"},"reason":"ok","attrs":{"b":{"y":1,"x":2},"a":"\u2028"},"prev":"sha256:0"}`,
      `{"v":1,"ts_ms":5,"writer_id":"agent-cafe\u0301","seq":1,"stream":"default","kind":"ModelInvoked","actor":{"role":"analyst","user_id":"A\u030asa"},"subject":{"\ud83d\ude00":"emoji","e\u0301":true,"e":null,"z":[1,-2,-0,"e\u0301"],"model":"mo\u0308del-7"},"reason":"ok","attrs":{"a":"\\u2028","b":{"x":2,"y":1}},"prev":"sha256:0"}`,
      `{"v":1,"ts_ms":5,"writer_id":"agent-caf\\u00e9","seq":1,"stream":"default","kind":"ModelInvoked","actor":{"role":"analyst","user_id":"\\u0041\\u030asa"},"subject":{"\\ud83d\\ude00":"emoji","\\u00e9":true,"e":null,"z":[1,-2,0,"\\u0065\\u0301"],"model":"m\\u00f6del-7"},"reason":"ok","attrs":{"a":"\u2028","b":{"x":2,"y":1}},"prev":"sha256:0"}`,
    ],
  },
  {
    name: "fields-at-their-bounds",
    inputs: [
      `{"v":1,"ts_ms":9007199254740991,"writer_id":"${
        "\u{1F600}".repeat(128)
      }","seq":9007199254740991,"stream":"0${"a._-".repeat(15)}xyz","kind":"K${
        "_.9z".repeat(15)
      }Abc","actor":{},"subject":{"tool":"t"},"reason":"${
        "\u00e9".repeat(256)
      }","attrs":{"+":2,"9":1,"a":"\\b\\f"},"prev":"b3:${"0f".repeat(32)}"}`,
      `{"prev":"b3:${"0f".repeat(32)}","attrs":{"a":"\\u0008\\u000C","9":1,"+":2},"reason":"${
        "e\u0301".repeat(256)
      }","subject":{"tool":"t"},"actor":{},"kind":"K${"_.9z".repeat(15)}Abc","stream":"0${
        "a._-".repeat(15)
      }xyz","seq":9007199254740991,"writer_id":"${
        "\\uD83D\\uDE00".repeat(128)
      }","ts_ms":9007199254740991,"v":1}`,
    ],
  },
  {
    name: "proto-key-is-ordinary",
    inputs: [
      `{"v":1,"ts_ms":1,"writer_id":"w","seq":1,"stream":"s","kind":"K","actor":{},"subject":{"__proto__":{"p":1},"tool":"t"},"reason":"","attrs":{"__proto__":null},"prev":"b3:0"}`,
      `{"v":1,"ts_ms":1,"writer_id":"w","seq":1,"stream":"s","kind":"K","actor":{},"subject":{"tool":"t","__proto__":{"p":1}},"reason":"","attrs":{"__proto__":null},"prev":"b3:0"}`,
    ],
  },
];

/** Inputs the reader or canonicalizer must reject, with the stable error code each must give. */
export const EVIL_CASES: { name: string; input: string; code: string }[] = [
  { name: "fraction", input: rec(`"attrs":{"x":2.0}`), code: "FLOAT_DISALLOWED" },
  { name: "exponent", input: rec(`"attrs":{"x":1e3}`), code: "FLOAT_DISALLOWED" },
  { name: "unsafe-integer", input: rec(`"attrs":{"x":9007199254740992}`), code: "UNSAFE_INTEGER" },
  { name: "duplicate-key", input: rec(`"attrs":{"x":1,"x":2}`), code: "DUPLICATE_KEY" },
  { name: "duplicate-after-nfc", input: rec(`"attrs":{"\\u00e9":1,"e\\u0301":2}`), code: "DUPLICATE_KEY" },
  {
    name: "duplicate-top-level",
    input: rec(`"attrs":{}`).replace(`"v":1,`, `"v":1,"v":1,`),
    code: "DUPLICATE_KEY",
  },
  { name: "lone-surrogate-escape", input: rec(`"attrs":{"x":"\\ud800"}`), code: "LONE_SURROGATE" },
  { name: "lone-low-surrogate", input: rec(`"attrs":{"x":"a\\udc00b"}`), code: "LONE_SURROGATE" },
  { name: "unknown-field", input: rec(`"attrs":{},"extra":1`), code: "UNKNOWN_FIELD" },
  { name: "missing-field", input: rec(`"attrs":{}`).replace(`"reason":"ok",`, ""), code: "MISSING_FIELD" },
  {
    name: "nesting-33",
    input: rec(`"attrs":{"x":${"[".repeat(31)}${"]".repeat(31)}}`),
    code: "NESTING_TOO_DEEP",
  },
  { name: "attrs-too-large", input: rec(`"attrs":{"x":"${"a".repeat(1020)}"}`), code: "ATTRS_TOO_LARGE" },
  {
    name: "record-too-large",
    input: rec(`"attrs":{}`).replace(`"reason":"ok"`, `"reason":"ok","subject":{"x":"${"a".repeat(4100)}"}`)
      .replace(`"subject":{},`, ""),
    code: "RECORD_TOO_LARGE",
  },
  { name: "bad-stream", input: rec(`"attrs":{}`).replace(`"ingress"`, `"Ingress"`), code: "BAD_FIELD" },
  { name: "bad-kind", input: rec(`"attrs":{}`).replace(`"GetServed"`, `"9lives"`), code: "BAD_FIELD" },
  { name: "string-seq", input: rec(`"attrs":{}`).replace(`"seq":1`, `"seq":"1"`), code: "BAD_FIELD" },
  { name: "zero-seq", input: rec(`"attrs":{}`).replace(`"seq":1`, `"seq":0`), code: "BAD_FIELD" },
  {
    name: "negative-ts",
    input: rec(`"attrs":{}`).replace(`"ts_ms":1730246400000`, `"ts_ms":-1`),
    code: "BAD_FIELD",
  },
  { name: "version-2", input: rec(`"attrs":{}`).replace(`"v":1`, `"v":2`), code: "BAD_FIELD" },
  { name: "attrs-array", input: rec(`"attrs":[]`), code: "BAD_FIELD" },
  { name: "bad-prev", input: rec(`"attrs":{}`).replace(`"b3:0"`, `"b3:00"`), code: "BAD_FIELD" },
  { name: "leading-zero", input: rec(`"attrs":{"x":01}`), code: "BAD_JSON" },
  { name: "trailing-comma", input: rec(`"attrs":{"x":1,}`), code: "BAD_JSON" },
  { name: "single-quotes", input: rec(`"attrs":{'x':1}`), code: "BAD_JSON" },
  { name: "raw-control-char", input: rec(`"attrs":{"x":"a\u0001b"}`), code: "BAD_JSON" },
  { name: "trailing-garbage", input: rec(`"attrs":{}`) + "x", code: "BAD_JSON" },
  { name: "empty-writer", input: rec(`"attrs":{}`).replace(`"svc-gateway@inst-1"`, `""`), code: "BAD_FIELD" },
  { name: "record-not-object", input: `[]`, code: "BAD_FIELD" },
  { name: "writer-129-chars", input: field("writer_id", "\u{1F600}".repeat(129)), code: "BAD_FIELD" },
  { name: "reason-257-chars", input: field("reason", "\u00e9".repeat(257)), code: "BAD_FIELD" },
  { name: "stream-65-chars", input: field("stream", "s".repeat(65)), code: "BAD_FIELD" },
  { name: "stream-leading-dot", input: field("stream", ".ingress"), code: "BAD_FIELD" },
  { name: "kind-65-chars", input: field("kind", "K".repeat(65)), code: "BAD_FIELD" },
  { name: "kind-hyphen", input: field("kind", "Get-Served"), code: "BAD_FIELD" },
  { name: "prev-uppercase-hex", input: field("prev", `b3:${"0F".repeat(32)}`), code: "BAD_FIELD" },
  { name: "prev-unknown-alg", input: field("prev", "sha512:0"), code: "BAD_FIELD" },
];

/** The evil base record with one top-level string field replaced. */
function field(name: string, value: string): string {
  const record = JSON.parse(rec(`"attrs":{}`));
  record[name] = value;
  return JSON.stringify(record);
}

function rec(tail: string): string {
  return `{"v":1,"ts_ms":1730246400000,"writer_id":"svc-gateway@inst-1","seq":1,"stream":"ingress","kind":"GetServed","actor":{"anon":true},"subject":{},"reason":"ok",${tail},"prev":"b3:0"}`;
}

/** Seed of the deterministic vector signing key (not secret: it is a test key). */
export const VECTOR_KEY_SEED = new Uint8Array(32).fill(0x5a);
/** Origin of the vector log. */
export const VECTOR_ORIGIN = "vectors.securamem.example/ledger-00000000";

/** Returns the code a rejected input gives, or `undefined` when it is accepted. */
export function rejectionCode(input: string): string | undefined {
  try {
    canonicalizeRecord(readJsonText(input));
    return undefined;
  } catch (error) {
    if (error instanceof SecuraMemError) return error.code;
    throw error;
  }
}

/** Every vector file's content, by file name. */
export async function buildVectors(): Promise<Record<string, unknown>> {
  return {
    "canonical.json": await buildCanonical(),
    "evil.json": buildEvil(),
    "merkle-b3.json": await buildMerkle("b3"),
    "checkpoint.json": await buildCheckpoint(),
    "bundle.json": await buildBundle(),
    "rotation.json": await buildRotation(),
  };
}

async function buildCanonical(): Promise<unknown> {
  const b3 = await loadHasher("b3");
  const sha = await loadHasher("sha256");
  return {
    source: "SecuraMem vectors/_build.ts: every input of a case must canonicalize to `canonical`",
    cases: CANONICAL_CASES.map(({ name, inputs }) => {
      const canonical = canonicalizeRecord(readJsonText(inputs[0]));
      return {
        name,
        inputs,
        canonical: canonical.text,
        b3: formatHash("b3", b3.digest(canonical.bytes)),
        sha256: formatHash("sha256", sha.digest(canonical.bytes)),
      };
    }),
  };
}

function buildEvil(): unknown {
  return {
    source: "SecuraMem vectors/_build.ts: each input must be rejected with `code`",
    cases: EVIL_CASES.map(({ name, input, code }) => {
      const got = rejectionCode(input);
      if (got !== code) throw new Error(`evil vector ${name}: expected ${code}, got ${got}`);
      return { name, input, code };
    }),
  };
}

/** A sample log in memory: its hasher, tree and sealed records. */
export interface SampleLog {
  readonly hasher: Hasher;
  readonly mh: MerkleHasher;
  readonly tree: MerkleTree;
  readonly records: SealedRecord[];
}

/** A small deterministic log: leaf i is the digest of a sealed record with `attrs.i = i`. */
export async function buildSampleLog(alg: HashAlg, count: number): Promise<SampleLog> {
  const hasher = await loadHasher(alg);
  const mh = new MerkleHasher(hasher);
  const tree = new MerkleTree(mh, new MemoryNodeStore());
  let head = genesisHead(alg);
  const records: SealedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const draft = readDraftText(`{"kind":"ToolCalled","stream":"agent","attrs":{"i":${i}}}`);
    const sealed = sealRecord(draft, head, { tsMs: 1_730_246_400_000 + i, writerId: "agent-1" }, hasher);
    head = { prev: sealed.selfHash, nextSeq: head.nextSeq + 1 };
    tree.appendEntry(sealed.digest);
    records.push(sealed);
  }
  return { hasher, mh, tree, records };
}

async function buildMerkle(alg: HashAlg): Promise<unknown> {
  const { mh, tree, records } = await buildSampleLog(alg, 8);
  const hex = (h: Uint8Array) => h.toHex();
  const inclusion = [];
  const consistency = [];
  for (let size = 1; size <= 8; size++) {
    for (let index = 0; index < size; index++) {
      inclusion.push({ index, size, proof_hex: tree.inclusionProof(index, size).map(hex) });
    }
    for (let old = 1; old <= size; old++) {
      consistency.push({
        old_size: old,
        new_size: size,
        proof_hex: tree.consistencyProof(old, size).map(hex),
      });
    }
  }
  return {
    source: "SecuraMem vectors/_build.ts: BLAKE3 RFC 9162 tree over 8 sealed sample records",
    hash: alg,
    empty_root_hex: hex(mh.empty()),
    records: records.map((r) => ({
      canonical: r.text,
      self_hash: r.selfHash,
      leaf_hash_hex: hex(mh.leaf(r.digest)),
    })),
    roots_by_size: Object.fromEntries(records.map((_, i) => [String(i + 1), hex(tree.rootAt(i + 1))])),
    inclusion,
    consistency,
  };
}

async function buildCheckpoint(): Promise<unknown> {
  const keys = await keyPairFromSeed(VECTOR_ORIGIN, VECTOR_KEY_SEED);
  const { signer } = await parseSignerKey(keys.signerKey);
  const { tree, records } = await buildSampleLog("b3", 5);
  const note = await signCheckpoint({ origin: VECTOR_ORIGIN, size: 5, root: tree.root(), extensions: [] }, [
    signer,
  ]);
  const receipt = formatReceipt(records[2], 2, tree.inclusionProof(2, 5), note);
  const noteOf2 = await signCheckpoint(
    { origin: VECTOR_ORIGIN, size: 2, root: tree.rootAt(2), extensions: [] },
    [signer],
  );
  const witnessKeys = await keyPairFromSeed(
    VECTOR_WITNESS,
    new Uint8Array(32).fill(0x3c),
    ALG_COSIGNATURE_V1,
  );
  const { cosigner } = await parseCosignerKey(witnessKeys.signerKey, () => VECTOR_COSIGNATURE_TIME * 1000);
  return {
    source: "SecuraMem vectors/_build.ts: a checkpoint of the 5-record b3 sample log, a receipt of leaf 2, " +
      "the checkpoint of its first 2 records with the extension from it to the checkpoint of 5, and the " +
      `checkpoint of 5 cosigned (cosignature/v1) by the witness key of seed 0x3c… at time ${VECTOR_COSIGNATURE_TIME}`,
    signer_key: keys.signerKey,
    verifier_key: keys.verifierKey,
    checkpoint_note: note,
    receipt,
    checkpoint_note_2: noteOf2,
    extension_2_to_5: formatCheckpointExtension({
      oldSize: 2,
      proof: tree.consistencyProof(2, 5),
      checkpoint: note,
    }),
    witness_signer_key: witnessKeys.signerKey,
    witness_verifier_key: witnessKeys.verifierKey,
    checkpoint_note_cosigned: await cosignNote(note, [cosigner]),
  };
}

/** The witness of the cosignature vector, and the POSIX time it cosigns at. */
const VECTOR_WITNESS = "witness.example/w1";
const VECTOR_COSIGNATURE_TIME = 1_730_246_400;

/** Bundles of the 5-record sample log: the whole log, and leaves 2…3 with left and right nodes. */
async function buildBundle(): Promise<unknown> {
  const keys = await keyPairFromSeed(VECTOR_ORIGIN, VECTOR_KEY_SEED);
  const { signer } = await parseSignerKey(keys.signerKey);
  const { tree, records } = await buildSampleLog("b3", 5);
  const note = await signCheckpoint({ origin: VECTOR_ORIGIN, size: 5, root: tree.root(), extensions: [] }, [
    signer,
  ]);
  const bundle = (from: number, to: number): string => {
    const lines = [
      bundleLine.header({ origin: VECTOR_ORIGIN, alg: "b3", from, to, size: 5 }),
      bundleLine.key(keys.verifierKey),
      ...decompose(0, from).map(([level, index]) => bundleLine.left(level, tree.store.get(level, index)!)),
      ...records.slice(from, to).map((r) => bundleLine.record(sealedText(r))),
      ...rightNodes(to, 5).map(([level, index]) => bundleLine.right(level, tree.store.get(level, index)!)),
      bundleLine.checkpoint(note),
    ];
    return lines.join("") + bundleLine.end(to - from, lines.length);
  };
  return {
    source: "SecuraMem vectors/_build.ts: .smemctx bundles of the 5-record b3 sample log (docs/FORMAT.md §7)",
    verifier_key: keys.verifierKey,
    whole: bundle(0, 5),
    leaves_2_to_3: bundle(2, 4),
  };
}

/** A rotation statement from the vector key to a second deterministic key (docs/FORMAT.md §5). */
async function buildRotation(): Promise<unknown> {
  const oldKeys = await keyPairFromSeed(VECTOR_ORIGIN, VECTOR_KEY_SEED);
  const newKeys = await keyPairFromSeed(VECTOR_ORIGIN, new Uint8Array(32).fill(0xa5));
  const statement = await signRotation(
    { origin: VECTOR_ORIGIN, leaf: 5, oldKey: oldKeys.verifierKey, newKey: newKeys.verifierKey },
    (await parseSignerKey(oldKeys.signerKey)).signer,
    (await parseSignerKey(newKeys.signerKey)).signer,
  );
  return {
    source: "SecuraMem vectors/_build.ts: a key rotation statement signed by the old and the new key",
    old_verifier_key: oldKeys.verifierKey,
    new_verifier_key: newKeys.verifierKey,
    statement,
  };
}
