/**
 * SecuraMem: a tamper-evident black-box recorder for AI systems. Records are canonicalized
 * (SPEC §2), hashed through one WASM engine, hash-chained per writer and stream, committed as
 * leaves of an RFC 9162 Merkle log, and covered by Ed25519-signed C2SP checkpoints. Anyone with
 * the verifier key can check a receipt offline.
 *
 * @example
 * ```ts
 * import {
 *   generateKeyPair, genesisHead, loadHasher, MemoryNodeStore, MerkleHasher, MerkleTree,
 *   parseSignerKey, parseVerifierKey, readDraftText, sealRecord, signCheckpoint, formatReceipt,
 *   verifyReceipt,
 * } from "./mod.ts";
 *
 * const b3 = await loadHasher("b3");
 * const keys = await generateKeyPair("audit.example/ledger-1");
 * const tree = new MerkleTree(new MerkleHasher(b3), new MemoryNodeStore());
 * const draft = readDraftText(`{"kind":"ModelInvoked","subject":{"model":"m-1"}}`);
 * const sealed = sealRecord(draft, genesisHead("b3"), { tsMs: Date.now(), writerId: "agent-7" }, b3);
 * tree.appendEntry(sealed.digest);
 * const checkpoint = await signCheckpoint(
 *   { origin: "audit.example/ledger-1", size: tree.size, root: tree.root(), extensions: [] },
 *   [(await parseSignerKey(keys.signerKey)).signer],
 * );
 * const receipt = formatReceipt(sealed, 0, tree.inclusionProof(0), checkpoint);
 * await verifyReceipt(receipt, [await parseVerifierKey(keys.verifierKey)], b3);
 * ```
 * @module
 */

export {
  CanonicalError,
  ChainError,
  type ErrorLocation,
  KeyError,
  NoteError,
  ProofError,
  ReceiptError,
  SecuraMemError,
} from "./core/errors.ts";
export type { JsonObject, JsonValue } from "./core/json.ts";
export { readJsonBytes, readJsonText } from "./core/json_reader.ts";
export {
  type AuditRecord,
  canonicalizeRecord,
  type CanonicalRecord,
  DEFAULT_BOUNDS,
  type NormalizationMode,
  RECORD_FIELDS,
  type RecordBounds,
} from "./core/canonical.ts";
export {
  formatHash,
  genesisHash,
  type HashAlg,
  type Hasher,
  isHashAlg,
  parseHash,
  type TaggedHash,
} from "./core/hash.ts";
export { loadHasher } from "./wasm/hasher.ts";
export {
  type ChainHead,
  chainKeyOf,
  ChainTracker,
  type DraftDefaults,
  draftSeq,
  genesisHead,
  readDraft,
  readDraftText,
  type RecordDraft,
  sealCompleteRecord,
  sealedJson,
  type SealedRecord,
  type SealedRecordJson,
  sealedText,
  sealRecord,
  verifyChainSegment,
  verifyLink,
  verifySealedRecord,
} from "./core/record.ts";
export { LEAF_PREFIX, MerkleHasher, NODE_PREFIX } from "./core/merkle_hasher.ts";
export { MemoryNodeStore, MerkleTree, type NodeStore } from "./core/merkle_tree.ts";
export { rootFromInclusionProof, verifyConsistency, verifyInclusion } from "./core/merkle_verify.ts";
export {
  formatVerifierKey,
  generateKeyPair,
  isValidKeyName,
  keyIdHex,
  keyPairFromSeed,
  type KeyPairText,
  type NoteSigner,
  type NoteVerifier,
  type ParsedSignerKey,
  parseSignerKey,
  parseVerifierKey,
} from "./core/keys.ts";
export {
  cosignatureTime,
  generateCosignerKey,
  parseCosignerKey,
  parseCosignerVerifierKey,
  requireCosignatures,
} from "./core/cosignature.ts";
export {
  AGE_ARMOR_HEADER,
  decryptSignerKey,
  DEFAULT_KEY_WORK_FACTOR,
  encryptedKeyWorkFactor,
  encryptSignerKey,
  isEncryptedKey,
  MAX_KEY_WORK_FACTOR,
  MIN_KEY_WORK_FACTOR,
} from "./core/encrypted_key.ts";
export {
  cosignNote,
  type NoteSignature,
  type OpenedNote,
  openNote,
  type ReadNote,
  readNote,
  signatureBytes,
  signatureLine,
  signNote,
  splitNote,
} from "./core/note.ts";
export {
  type Checkpoint,
  checkpointOfNote,
  formatCheckpoint,
  openCheckpoint,
  type OpenedCheckpoint,
  parseCheckpoint,
  signCheckpoint,
} from "./core/checkpoint.ts";
export {
  type CheckpointExtension,
  formatCheckpointExtension,
  MAX_EXTENSION_PROOF,
  parseCheckpointExtension,
  type VerifiedExtension,
  verifyCheckpointExtension,
} from "./core/checkpoint_extension.ts";
export {
  formatReceipt,
  parseReceipt,
  type Receipt,
  receiptFromTlogProof,
  receiptToTlogProof,
  type VerifiedReceipt,
  verifyReceipt,
} from "./core/receipt.ts";
export { formatTlogProof, parseTlogProof, TLOG_PROOF_HEADER, type TlogProof } from "./core/tlog_proof.ts";
export { KeyChain, openRotation, type Rotation, ROTATION_HEADER, signRotation } from "./core/rotation.ts";
export {
  BUNDLE_CHECKPOINT_SPACING,
  BUNDLE_MAGIC,
  type BundleHeader,
  bundleLine,
  type BundleLineWriters,
  type BundleReport,
  BundleVerifier,
  rightNodes,
} from "./core/bundle.ts";
