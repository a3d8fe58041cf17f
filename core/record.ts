/**
 * Records and their hash chains (SPEC §1): complete a draft against its chain head, seal it
 * (canonical bytes + `self_hash`), verify a sealed record, a link and a chain segment.
 * @module
 */
import {
  type AuditRecord,
  canonicalizeRecord,
  type CanonicalRecord,
  checkFieldNames,
  DEFAULT_BOUNDS,
  RECORD_FIELDS,
  type RecordBounds,
} from "./canonical.ts";
import { CanonicalError, ChainError, type ErrorLocation } from "./errors.ts";
import { utf8Length } from "./encoding.ts";
import { formatHash, genesisHash, type HashAlg, type Hasher, parseHash } from "./hash.ts";
import { isPlainObject, type JsonObject } from "./json.ts";
import { readJsonText } from "./json_reader.ts";

/** What a writer submits: `kind` is required; the ledger fills the rest (SPEC §1 defaults). */
export interface RecordDraft {
  v?: 1;
  ts_ms?: number;
  writer_id?: string;
  seq?: number;
  stream?: string;
  kind: string;
  actor?: JsonObject;
  subject?: JsonObject;
  reason?: string;
  attrs?: JsonObject;
  prev?: string;
}

/** The head of one (writer_id, stream) chain: what the next record must link to. */
export interface ChainHead {
  /** `self_hash` of the last record, or `"<alg>:0"` for an empty chain. */
  readonly prev: string;
  /** The seq the next record takes. */
  readonly nextSeq: number;
}

/** Values a ledger supplies for absent draft fields. */
export interface DraftDefaults {
  /** Milliseconds since the epoch, for an absent `ts_ms`. */
  readonly tsMs: number;
  /** Writer for an absent `writer_id`. */
  readonly writerId: string;
}

/** A record with its canonical bytes and `self_hash`. */
export interface SealedRecord {
  readonly record: AuditRecord;
  /** Canonical text without `self_hash`: the bytes that are hashed. */
  readonly text: string;
  /** UTF-8 of `text`. */
  readonly bytes: Uint8Array;
  /** Raw digest: the Merkle leaf entry (SPEC §4). */
  readonly digest: Uint8Array;
  /** `"<alg>:<hex>"` of `digest`. */
  readonly selfHash: string;
}

/** A sealed record as JSON: the record plus `self_hash` as the twelfth field. */
export type SealedRecordJson = AuditRecord & { self_hash: string };

const DRAFT_FIELDS: readonly string[] = RECORD_FIELDS;
const SEALED_FIELDS: readonly string[] = [...RECORD_FIELDS, "self_hash"];

/**
 * The head of a chain that has no record yet.
 *
 * @example
 * ```ts
 * import { genesisHead } from "../mod.ts";
 * genesisHead("b3"); // { prev: "b3:0", nextSeq: 1 }
 * ```
 */
export function genesisHead(alg: HashAlg): ChainHead {
  return { prev: genesisHash(alg), nextSeq: 1 };
}

/**
 * Checks a parsed value is a draft: an object with only record fields and a `kind`.
 *
 * @example
 * ```ts
 * import { readDraft } from "../mod.ts";
 * readDraft({ kind: "ToolCalled", attrs: { tool: "search" } });
 * ```
 */
export function readDraft(value: unknown): RecordDraft {
  if (!isPlainObject(value)) throw new CanonicalError("BAD_FIELD", "a draft must be a JSON object");
  checkFieldNames(value, DRAFT_FIELDS, ["kind"]);
  return value as unknown as RecordDraft;
}

/**
 * Strictly reads a draft from JSON text (SPEC §2 reader rules).
 *
 * @example
 * ```ts
 * import { readDraftText } from "../mod.ts";
 * readDraftText(`{"kind":"ModelInvoked","subject":{"model":"m-1"}}`);
 * ```
 */
export function readDraftText(text: string): RecordDraft {
  return readDraft(readJsonText(text));
}

/**
 * The (writer_id, stream) a draft belongs to, NFC-normalized and defaulted.
 *
 * @example
 * ```ts
 * import { chainKeyOf } from "../mod.ts";
 * chainKeyOf({ kind: "K", writer_id: "cafe\u0301" }, { tsMs: 0, writerId: "w" }); // { writerId: "café", stream: "default" }
 * ```
 */
export function chainKeyOf(
  draft: RecordDraft,
  defaults: DraftDefaults,
): { writerId: string; stream: string } {
  const writerId = draft.writer_id ?? defaults.writerId;
  const stream = draft.stream ?? "default";
  if (typeof writerId !== "string") {
    throw new CanonicalError("BAD_FIELD", "writer_id must be a string", { path: "writer_id" });
  }
  if (typeof stream !== "string") {
    throw new CanonicalError("BAD_FIELD", "stream must be a string", { path: "stream" });
  }
  return { writerId: nfc(writerId, "writer_id"), stream: nfc(stream, "stream") };
}

/**
 * The `seq` a draft names, if any; `BAD_FIELD` unless it is an integer ≥ 1, so that no other value
 * is compared with a chain's head (a seq of 0 is not a replay of anything).
 *
 * @example
 * ```ts
 * import { draftSeq } from "../mod.ts";
 * draftSeq({ kind: "K", seq: 3 }); // 3
 * draftSeq({ kind: "K" }); // undefined
 * ```
 */
export function draftSeq(draft: RecordDraft): number | undefined {
  const seq: unknown = draft.seq;
  if (seq === undefined) return undefined;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) {
    throw new CanonicalError("BAD_FIELD", "seq must be an integer ≥ 1", { path: "seq" });
  }
  return seq;
}

function nfc(text: string, path: string): string {
  if (utf8Length(text) === text.length) return text;
  if (!text.isWellFormed()) {
    throw new CanonicalError("LONE_SURROGATE", "string holds a lone surrogate", { path });
  }
  return text.normalize("NFC");
}

/**
 * Completes `draft` as the next record of the chain whose head is `head` and seals it.
 * A draft `seq` other than `head.nextSeq` is `SEQ_GAP` (ahead) or `SEQ_REUSED` (behind; a
 * ledger answers replays before sealing); a draft `prev` other than `head.prev` is `PREV_MISMATCH`.
 *
 * @example
 * ```ts
 * import { genesisHead, loadHasher, readDraftText, sealRecord } from "../mod.ts";
 * const sealed = sealRecord(
 *   readDraftText(`{"kind":"GetServed","stream":"ingress","actor":{"anon":true},"reason":"ok"}`),
 *   genesisHead("b3"),
 *   { tsMs: 1730246400000, writerId: "svc-gateway@inst-1" },
 *   await loadHasher("b3"),
 * );
 * sealed.selfHash; // "b3:0c1a9dc4…" (SPEC §3 vector 1)
 * ```
 */
export function sealRecord(
  draft: RecordDraft,
  head: ChainHead,
  defaults: DraftDefaults,
  hasher: Hasher,
  bounds: RecordBounds = DEFAULT_BOUNDS,
): SealedRecord {
  const { writerId, stream } = chainKeyOf(draft, defaults);
  const seq = draftSeq(draft);
  const where = { writerId, stream, seq };
  if (seq !== undefined && seq !== head.nextSeq) {
    throw new ChainError(
      seq > head.nextSeq ? "SEQ_GAP" : "SEQ_REUSED",
      `seq ${seq} given where the chain expects ${head.nextSeq}`,
      where,
    );
  }
  if (draft.prev !== undefined && draft.prev !== head.prev) {
    throw new ChainError("PREV_MISMATCH", `prev ${draft.prev} is not the chain head ${head.prev}`, where);
  }
  const value = {
    v: draft.v ?? 1,
    ts_ms: draft.ts_ms ?? defaults.tsMs,
    writer_id: writerId,
    seq: head.nextSeq,
    stream,
    kind: draft.kind,
    actor: draft.actor ?? {},
    subject: draft.subject ?? {},
    reason: draft.reason ?? "",
    attrs: draft.attrs ?? {},
    prev: head.prev,
  };
  return seal(canonicalizeRecord(value, bounds), hasher);
}

/**
 * Seals a complete record value (all eleven fields), e.g. one re-read from storage.
 *
 * @example
 * ```ts
 * import { loadHasher, readJsonText, sealCompleteRecord } from "../mod.ts";
 * const sealed = sealCompleteRecord(readJsonText(`{"v":1,"ts_ms":0,"writer_id":"w","seq":1,"stream":"s",
 *   "kind":"K","actor":{},"subject":{},"reason":"","attrs":{},"prev":"b3:0"}`), await loadHasher("b3"));
 * sealed.selfHash;
 * ```
 */
export function sealCompleteRecord(
  value: unknown,
  hasher: Hasher,
  bounds: RecordBounds = DEFAULT_BOUNDS,
): SealedRecord {
  return seal(canonicalizeRecord(value, bounds, "require"), hasher);
}

function seal(canonical: CanonicalRecord, hasher: Hasher): SealedRecord {
  const bytes = canonical.bytes;
  const digest = hasher.digest(bytes);
  return {
    record: canonical.record,
    text: canonical.text,
    bytes,
    digest,
    selfHash: formatHash(hasher.alg, digest),
  };
}

/**
 * The sealed record as JSON text with `self_hash` as the twelfth field.
 *
 * @example
 * ```ts
 * import { genesisHead, loadHasher, sealedText, sealRecord } from "../mod.ts";
 * const sealed = sealRecord({ kind: "K" }, genesisHead("b3"), { tsMs: 0, writerId: "w" }, await loadHasher("b3"));
 * sealedText(sealed); // {"v":1,…,"prev":"b3:0","self_hash":"b3:…"}
 * ```
 */
export function sealedText(sealed: Pick<SealedRecord, "text" | "selfHash">): string {
  return `${sealed.text.slice(0, -1)},"self_hash":"${sealed.selfHash}"}`;
}

/**
 * The sealed record as a JSON value with `self_hash`.
 *
 * @example
 * ```ts
 * import { genesisHead, loadHasher, sealedJson, sealRecord } from "../mod.ts";
 * const sealed = sealRecord({ kind: "K" }, genesisHead("b3"), { tsMs: 0, writerId: "w" }, await loadHasher("b3"));
 * sealedJson(sealed).self_hash === sealed.selfHash; // true
 * ```
 */
export function sealedJson(sealed: SealedRecord): SealedRecordJson {
  return { ...sealed.record, self_hash: sealed.selfHash };
}

/**
 * What `parseHash` accepts, as text. A claimed `self_hash` that matches is compared with the
 * computed one as a string (both lowercase hex), not decoded.
 */
const TAGGED_DIGEST_RE = /^(b3|sha256):[0-9a-f]{64}$/;

/**
 * Verifies a sealed record value (twelve fields): byte-canonical form and `self_hash`.
 * `HASH_MISMATCH` when the content does not hash to its `self_hash`.
 *
 * @example
 * ```ts
 * import { genesisHead, loadHasher, readJsonText, sealedText, sealRecord, verifySealedRecord } from "../mod.ts";
 * const b3 = await loadHasher("b3");
 * const sealed = sealRecord({ kind: "K" }, genesisHead("b3"), { tsMs: 0, writerId: "w" }, b3);
 * verifySealedRecord(readJsonText(sealedText(sealed)), b3); // throws HASH_MISMATCH if edited
 * ```
 */
export function verifySealedRecord(
  value: unknown,
  hasher: Hasher,
  bounds: RecordBounds = DEFAULT_BOUNDS,
  where: ErrorLocation = {},
): SealedRecord {
  if (!isPlainObject(value)) throw new CanonicalError("BAD_FIELD", "a record must be a JSON object", where);
  checkFieldNames(value, SEALED_FIELDS);
  const { self_hash: claimed, ...rest } = value;
  if (typeof claimed !== "string") {
    throw new CanonicalError("BAD_FIELD", "self_hash must be a string", { ...where, path: "self_hash" });
  }
  const claimedAlg = TAGGED_DIGEST_RE.test(claimed)
    ? claimed.slice(0, claimed.indexOf(":"))
    : parseHash(claimed).alg;
  if (claimedAlg !== hasher.alg) {
    throw new ChainError("ALG_MISMATCH", `self_hash uses ${claimedAlg}, the log uses ${hasher.alg}`, where);
  }
  const sealed = sealCompleteRecord(rest, hasher, bounds);
  if (sealed.selfHash !== claimed) {
    throw new ChainError("HASH_MISMATCH", `self_hash ${claimed} does not match content ${sealed.selfHash}`, {
      ...recordLocation(sealed.record),
      ...where,
    });
  }
  return sealed;
}

/**
 * The sealed record whose canonical sealed text (`sealedText`) is exactly `text`, or `undefined`
 * for any other text. It reads with `JSON.parse` (~3× faster than the strict reader at 1 KiB),
 * which alone is not strict: it keeps the last of duplicate keys and reads `2.0` as 2. But a text
 * equal to the canonical form of what it parses to holds none of that (a duplicate key, a float
 * spelling, an escape variant or whitespace would each change the text), and every canonical text
 * reads strictly to the same value, so this accepts exactly what the strict path accepts. On
 * `undefined` callers take the strict path, which names what is wrong.
 */
export function readCanonicalSealedText(
  text: string,
  hasher: Hasher,
  bounds: RecordBounds,
  where: ErrorLocation,
): SealedRecord | undefined {
  try {
    const sealed = verifySealedRecord(JSON.parse(text), hasher, bounds, where);
    return sealedText(sealed) === text ? sealed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks that `next` directly follows `prev` in one chain.
 *
 * @example
 * ```ts
 * import { genesisHead, loadHasher, sealRecord, verifyLink } from "../mod.ts";
 * const b3 = await loadHasher("b3");
 * const first = sealRecord({ kind: "K" }, genesisHead("b3"), { tsMs: 0, writerId: "w" }, b3);
 * const second = sealRecord({ kind: "K" }, { prev: first.selfHash, nextSeq: 2 }, { tsMs: 1, writerId: "w" }, b3);
 * verifyLink(first, second);
 * ```
 */
export function verifyLink(prev: SealedRecord, next: SealedRecord, where: ErrorLocation = {}): void {
  const loc = { ...recordLocation(next.record), ...where };
  if (prev.record.writer_id !== next.record.writer_id || prev.record.stream !== next.record.stream) {
    throw new ChainError("CHAIN_MISMATCH", "records belong to different chains", loc);
  }
  if (next.record.seq !== prev.record.seq + 1) {
    throw new ChainError("SEQ_GAP", `seq ${next.record.seq} follows seq ${prev.record.seq}`, loc);
  }
  if (next.record.prev !== prev.selfHash) {
    throw new ChainError("PREV_MISMATCH", `prev ${next.record.prev} is not ${prev.selfHash}`, loc);
  }
}

/**
 * Follows every (writer_id, stream) chain through a sequence of sealed records in log order,
 * which may interleave chains. A chain's first record must be genesis (seq 1, prev `<alg>:0`)
 * unless its head was given with `expect` (a segment that starts mid-chain).
 *
 * @example
 * ```ts
 * import { ChainTracker, genesisHead, loadHasher, sealRecord } from "../mod.ts";
 * const b3 = await loadHasher("b3");
 * const tracker = new ChainTracker("b3");
 * tracker.accept(sealRecord({ kind: "K" }, genesisHead("b3"), { tsMs: 0, writerId: "w" }, b3));
 * tracker.headOf("w", "default")?.nextSeq; // 2
 * ```
 */
export class ChainTracker {
  private readonly heads = new Map<string, ChainHead>();

  constructor(private readonly alg: HashAlg, private readonly allowMidChainStart = false) {}

  /** Number of chains seen or declared. */
  get chainCount(): number {
    return this.heads.size;
  }

  /** Declares the head a chain must continue from. */
  expect(writerId: string, stream: string, head: ChainHead): void {
    this.heads.set(chainMapKey(writerId, stream), head);
  }

  /** The head of a chain as seen so far, if any record of it was accepted. */
  headOf(writerId: string, stream: string): ChainHead | undefined {
    return this.heads.get(chainMapKey(writerId, stream));
  }

  /** Checks `sealed` continues its chain and advances the chain's head. */
  accept(sealed: SealedRecord, where: ErrorLocation = {}): void {
    this.acceptSpan(sealed.record, { prev: sealed.selfHash, nextSeq: sealed.record.seq + 1 }, where);
  }

  /**
   * Checks that `first` continues its chain, then moves the chain's head to `next`: for a run of
   * records whose inner links were checked elsewhere (a parallel verifier's chunk).
   */
  acceptSpan(first: ChainLink, next: ChainHead, where: ErrorLocation = {}): void {
    const { writer_id, stream, seq, prev } = first;
    const key = chainMapKey(writer_id, stream);
    const head = this.heads.get(key) ??
      (this.allowMidChainStart && seq !== 1 ? undefined : genesisHead(this.alg));
    if (head !== undefined) {
      const loc = { writerId: writer_id, stream, seq, ...where };
      if (seq !== head.nextSeq) {
        throw new ChainError("SEQ_GAP", `seq ${seq} where the chain expects ${head.nextSeq}`, loc);
      }
      if (prev !== head.prev) throw new ChainError("PREV_MISMATCH", `prev ${prev} is not ${head.prev}`, loc);
    }
    this.heads.set(key, next);
  }
}

/** The fields of a record that place it in its chain. */
export type ChainLink = Pick<AuditRecord, "writer_id" | "stream" | "seq" | "prev">;

/**
 * Verifies a chain segment: every record's hash and every link, in order.
 *
 * @example
 * ```ts
 * import { genesisHead, loadHasher, sealedJson, sealRecord, verifyChainSegment } from "../mod.ts";
 * const b3 = await loadHasher("b3");
 * const first = sealRecord({ kind: "K" }, genesisHead("b3"), { tsMs: 0, writerId: "w" }, b3);
 * verifyChainSegment([sealedJson(first)], b3).length; // 1
 * ```
 */
export function verifyChainSegment(
  values: readonly unknown[],
  hasher: Hasher,
  options: { bounds?: RecordBounds; start?: ChainHead } = {},
): SealedRecord[] {
  const tracker = new ChainTracker(hasher.alg, options.start === undefined);
  const sealed = values.map((value, i) => verifySealedRecord(value, hasher, options.bounds, { offset: i }));
  if (sealed.length > 0 && options.start !== undefined) {
    tracker.expect(sealed[0].record.writer_id, sealed[0].record.stream, options.start);
  }
  for (let i = 0; i < sealed.length; i++) {
    const { writer_id, stream } = sealed[i].record;
    if (i > 0 && (writer_id !== sealed[0].record.writer_id || stream !== sealed[0].record.stream)) {
      throw new ChainError("CHAIN_MISMATCH", "a segment holds records of one chain only", { offset: i });
    }
    tracker.accept(sealed[i], { offset: i });
  }
  return sealed;
}

function chainMapKey(writerId: string, stream: string): string {
  return `${stream}\n${writerId}`;
}

function recordLocation(record: AuditRecord): ErrorLocation {
  return { writerId: record.writer_id, stream: record.stream, seq: record.seq };
}
