/**
 * Receipts (SPEC §6): one record, its leaf index, its inclusion proof and the signed checkpoint
 * the proof leads to. Verifying needs nothing but a trusted verifier key:
 *
 *     {"v":1,"record":{…with self_hash},"index":N,"proof":["<base64 hash>",…],"checkpoint":"<note>"}
 * @module
 */
import { canonicalizeRecord, checkFieldNames, type RecordBounds } from "./canonical.ts";
import { openCheckpoint, type OpenedCheckpoint } from "./checkpoint.ts";
import { ReceiptError } from "./errors.ts";
import { fromBase64Strict, toBase64, utf8 } from "./encoding.ts";
import { formatTlogProof, parseTlogProof } from "./tlog_proof.ts";
import { DIGEST_BYTES, type Hasher, parseHash } from "./hash.ts";
import { isPlainObject, type JsonValue } from "./json.ts";
import { readJsonBytes, readJsonText } from "./json_reader.ts";
import type { NoteVerifier } from "./keys.ts";
import { MerkleHasher } from "./merkle_hasher.ts";
import { verifyInclusion } from "./merkle_verify.ts";
import { type SealedRecord, sealedText, verifySealedRecord } from "./record.ts";

/** A receipt as parsed from JSON (the record still unverified). */
export interface Receipt {
  readonly v: 1;
  readonly record: JsonValue;
  readonly index: number;
  readonly proof: readonly Uint8Array[];
  readonly checkpoint: string;
}

/** What a verified receipt proves. */
export interface VerifiedReceipt {
  readonly record: SealedRecord;
  readonly index: number;
  readonly checkpoint: OpenedCheckpoint;
}

const RECEIPT_FIELDS = ["v", "record", "index", "proof", "checkpoint"];

/**
 * The receipt text of a sealed record at `index` with its proof and checkpoint note.
 *
 * @example
 * ```ts
 * import {
 *   formatReceipt, generateKeyPair, genesisHead, loadHasher, MemoryNodeStore, MerkleHasher, MerkleTree,
 *   parseReceipt, parseSignerKey, parseVerifierKey, receiptFromTlogProof, receiptToTlogProof, sealRecord,
 *   signCheckpoint, verifyReceipt,
 * } from "../mod.ts";
 * const b3 = await loadHasher("b3");
 * const keys = await generateKeyPair("audit.example/l-1");
 * const tree = new MerkleTree(new MerkleHasher(b3), new MemoryNodeStore());
 * const sealed = sealRecord({ kind: "ToolCalled" }, genesisHead("b3"), { tsMs: 0, writerId: "agent" }, b3);
 * tree.appendEntry(sealed.digest);
 * const note = await signCheckpoint(
 *   { origin: "audit.example/l-1", size: 1, root: tree.root(), extensions: [] },
 *   [(await parseSignerKey(keys.signerKey)).signer],
 * );
 * const receipt = formatReceipt(sealed, 0, tree.inclusionProof(0), note);
 * receipt.startsWith(`{"v":1,"record":`); // true
 * ```
 */
export function formatReceipt(
  record: Pick<SealedRecord, "text" | "selfHash">,
  index: number,
  proof: readonly Uint8Array[],
  checkpointNote: string,
): string {
  const hashes = proof.map((hash) => `"${toBase64(hash)}"`).join(",");
  return receiptText(record, index, hashes, JSON.stringify(checkpointNote));
}

/**
 * The receipts of many records against one checkpoint note, as `formatReceipt` writes each; the
 * note and each hash object the proofs share (a batch's proofs share most) are encoded once.
 */
export function formatReceipts(
  records: readonly Pick<SealedRecord, "text" | "selfHash">[],
  indexes: readonly number[],
  proofs: readonly (readonly Uint8Array[])[],
  checkpointNote: string,
): string[] {
  const note = JSON.stringify(checkpointNote);
  const encoded = new Map<Uint8Array, string>();
  const encode = (hash: Uint8Array) => {
    let text = encoded.get(hash);
    if (text === undefined) encoded.set(hash, text = `"${toBase64(hash)}"`);
    return text;
  };
  return records.map((record, i) => receiptText(record, indexes[i], proofs[i].map(encode).join(","), note));
}

/** Receipt text from its parts: `hashes` the proof's quoted base64 hashes joined, `note` JSON text. */
function receiptText(
  record: Pick<SealedRecord, "text" | "selfHash">,
  index: number,
  hashes: string,
  note: string,
): string {
  return `{"v":1,"record":${sealedText(record)},"index":${index},"proof":[${hashes}],"checkpoint":${note}}`;
}

/**
 * Parses receipt text strictly; throws `RECEIPT_MALFORMED` naming the field.
 *
 * @example
 * ```ts
 * import {
 *   formatReceipt, generateKeyPair, genesisHead, loadHasher, MemoryNodeStore, MerkleHasher, MerkleTree,
 *   parseReceipt, parseSignerKey, parseVerifierKey, receiptFromTlogProof, receiptToTlogProof, sealRecord,
 *   signCheckpoint, verifyReceipt,
 * } from "../mod.ts";
 * const b3 = await loadHasher("b3");
 * const keys = await generateKeyPair("audit.example/l-1");
 * const tree = new MerkleTree(new MerkleHasher(b3), new MemoryNodeStore());
 * const sealed = sealRecord({ kind: "ToolCalled" }, genesisHead("b3"), { tsMs: 0, writerId: "agent" }, b3);
 * tree.appendEntry(sealed.digest);
 * const note = await signCheckpoint(
 *   { origin: "audit.example/l-1", size: 1, root: tree.root(), extensions: [] },
 *   [(await parseSignerKey(keys.signerKey)).signer],
 * );
 * const receipt = formatReceipt(sealed, 0, tree.inclusionProof(0), note);
 * parseReceipt(receipt).index; // 0
 * ```
 */
export function parseReceipt(text: string): Receipt {
  const value = readJsonText(text);
  if (!isPlainObject(value)) throw malformed("receipt must be a JSON object");
  checkFieldNames(value, RECEIPT_FIELDS);
  if (value.v !== 1) throw malformed("v must be 1", "v");
  const { index, proof, checkpoint } = value;
  if (typeof index !== "number" || index < 0) {
    throw malformed("index must be a non-negative integer", "index");
  }
  if (!Array.isArray(proof)) throw malformed("proof must be an array", "proof");
  if (typeof checkpoint !== "string") throw malformed("checkpoint must be a string", "checkpoint");
  const hashes = proof.map((item, i) => {
    const hash = typeof item === "string" ? fromBase64Strict(item) : undefined;
    if (hash === undefined || hash.length !== DIGEST_BYTES) {
      throw malformed("proof hashes must be canonical base64 of 32 bytes", `proof[${i}]`);
    }
    return hash;
  });
  return { v: 1, record: value.record, index, proof: hashes, checkpoint };
}

/**
 * Verifies a receipt with trusted keys: the record's canonical form and `self_hash`, the
 * checkpoint's signature, and the inclusion of the record's leaf at `index` under the
 * checkpoint's root and size. Each failure has its own code (see docs/FORMAT.md).
 *
 * @example
 * ```ts
 * import {
 *   formatReceipt, generateKeyPair, genesisHead, loadHasher, MemoryNodeStore, MerkleHasher, MerkleTree,
 *   parseReceipt, parseSignerKey, parseVerifierKey, receiptFromTlogProof, receiptToTlogProof, sealRecord,
 *   signCheckpoint, verifyReceipt,
 * } from "../mod.ts";
 * const b3 = await loadHasher("b3");
 * const keys = await generateKeyPair("audit.example/l-1");
 * const tree = new MerkleTree(new MerkleHasher(b3), new MemoryNodeStore());
 * const sealed = sealRecord({ kind: "ToolCalled" }, genesisHead("b3"), { tsMs: 0, writerId: "agent" }, b3);
 * tree.appendEntry(sealed.digest);
 * const note = await signCheckpoint(
 *   { origin: "audit.example/l-1", size: 1, root: tree.root(), extensions: [] },
 *   [(await parseSignerKey(keys.signerKey)).signer],
 * );
 * const receipt = formatReceipt(sealed, 0, tree.inclusionProof(0), note);
 * await verifyReceipt(receipt, [await parseVerifierKey(keys.verifierKey)], b3);
 * ```
 */
export async function verifyReceipt(
  receipt: Receipt | string,
  verifiers: readonly NoteVerifier[],
  hasher: Hasher,
  bounds?: RecordBounds,
): Promise<VerifiedReceipt> {
  const parsed = typeof receipt === "string" ? parseReceipt(receipt) : receipt;
  const record = verifySealedRecord(parsed.record, hasher, bounds, { leafIndex: parsed.index });
  const checkpoint = await openCheckpoint(parsed.checkpoint, verifiers);
  const mh = new MerkleHasher(hasher);
  const { size, root } = checkpoint.checkpoint;
  verifyInclusion(mh, parsed.index, size, mh.leaf(record.digest), parsed.proof, root);
  return { record, index: parsed.index, checkpoint };
}

/**
 * The receipt as a C2SP tlog-proof, with the sealed record's canonical text as its extra data
 * (written anew in canonical form: a record parsed into a JavaScript object lists integer-like
 * keys first, so its `JSON.stringify` is not the hashed text).
 *
 * @example
 * ```ts
 * import {
 *   formatReceipt, generateKeyPair, genesisHead, loadHasher, MemoryNodeStore, MerkleHasher, MerkleTree,
 *   parseReceipt, parseSignerKey, parseVerifierKey, receiptFromTlogProof, receiptToTlogProof, sealRecord,
 *   signCheckpoint, verifyReceipt,
 * } from "../mod.ts";
 * const b3 = await loadHasher("b3");
 * const keys = await generateKeyPair("audit.example/l-1");
 * const tree = new MerkleTree(new MerkleHasher(b3), new MemoryNodeStore());
 * const sealed = sealRecord({ kind: "ToolCalled" }, genesisHead("b3"), { tsMs: 0, writerId: "agent" }, b3);
 * tree.appendEntry(sealed.digest);
 * const note = await signCheckpoint(
 *   { origin: "audit.example/l-1", size: 1, root: tree.root(), extensions: [] },
 *   [(await parseSignerKey(keys.signerKey)).signer],
 * );
 * const receipt = formatReceipt(sealed, 0, tree.inclusionProof(0), note);
 * receiptToTlogProof(parseReceipt(receipt)); // "c2sp.org/tlog-proof@v1\nextra …"
 * ```
 */
export function receiptToTlogProof(receipt: Receipt): string {
  return formatTlogProof({
    extra: utf8(canonicalSealedText(receipt.record)),
    index: receipt.index,
    proof: receipt.proof,
    checkpoint: receipt.checkpoint,
  });
}

/**
 * A receipt read back from a tlog-proof whose extra data is the sealed record.
 *
 * @example
 * ```ts
 * import {
 *   formatReceipt, generateKeyPair, genesisHead, loadHasher, MemoryNodeStore, MerkleHasher, MerkleTree,
 *   parseReceipt, parseSignerKey, parseVerifierKey, receiptFromTlogProof, receiptToTlogProof, sealRecord,
 *   signCheckpoint, verifyReceipt,
 * } from "../mod.ts";
 * const b3 = await loadHasher("b3");
 * const keys = await generateKeyPair("audit.example/l-1");
 * const tree = new MerkleTree(new MerkleHasher(b3), new MemoryNodeStore());
 * const sealed = sealRecord({ kind: "ToolCalled" }, genesisHead("b3"), { tsMs: 0, writerId: "agent" }, b3);
 * tree.appendEntry(sealed.digest);
 * const note = await signCheckpoint(
 *   { origin: "audit.example/l-1", size: 1, root: tree.root(), extensions: [] },
 *   [(await parseSignerKey(keys.signerKey)).signer],
 * );
 * const receipt = formatReceipt(sealed, 0, tree.inclusionProof(0), note);
 * const tlog = receiptToTlogProof(parseReceipt(receipt));
 * await verifyReceipt(receiptFromTlogProof(tlog), [await parseVerifierKey(keys.verifierKey)], b3);
 * ```
 */
export function receiptFromTlogProof(text: string): Receipt {
  const proof = parseTlogProof(text);
  if (proof.extra === undefined) throw malformed("tlog-proof has no extra data holding the record", "extra");
  let record: JsonValue;
  try {
    record = readJsonBytes(proof.extra);
  } catch (error) {
    throw malformed(`tlog-proof extra data is not a JSON record: ${(error as Error).message}`, "extra");
  }
  return { v: 1, record, index: proof.index, proof: proof.proof, checkpoint: proof.checkpoint };
}

/** Conversion writes any size; bounds are checked when the receipt is verified. */
const NO_BOUNDS: RecordBounds = {
  maxRecordBytes: Number.MAX_SAFE_INTEGER,
  maxAttrsBytes: Number.MAX_SAFE_INTEGER,
};

/** The canonical text of a sealed record: its fields in canonical form, then its `self_hash`. */
function canonicalSealedText(record: JsonValue): string {
  if (!isPlainObject(record) || typeof record.self_hash !== "string") {
    throw malformed("the record has no self_hash string", "record.self_hash");
  }
  const { self_hash: selfHash, ...fields } = record;
  parseHash(selfHash);
  return sealedText({ text: canonicalizeRecord(fields, NO_BOUNDS, "require").text, selfHash });
}

function malformed(message: string, path?: string): ReceiptError {
  return new ReceiptError("RECEIPT_MALFORMED", message, path === undefined ? {} : { path });
}
