/**
 * The per-record half of verification, for one chunk of leaves: what needs no state from earlier
 * chunks, so chunks can be checked in parallel (ledger/verify_pool.ts) while the main scan keeps
 * what is sequential (chain links across chunks, the Merkle tree, checkpoints, key rotations).
 *
 * For each leaf of the chunk: the row exists; its bytes re-read as a canonical record; their hash
 * is the stored `self_hash`; every index column is what the bytes say; links to earlier records
 * of the same chain within the chunk hold. Each whole block's subject filter is rebuilt and
 * compared. The first failure stops the chunk; what came before it is still returned, so the
 * main scan can put the failure in leaf order among its own checks.
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { RecordBounds } from "../core/canonical.ts";
import { SecuraMemError } from "../core/errors.ts";
import { bytesEqual, fromUtf8 } from "../core/encoding.ts";
import { DIGEST_BYTES, formatHash, type HashAlg, type Hasher } from "../core/hash.ts";
import type { JsonValue } from "../core/json.ts";
import { readJsonBytes } from "../core/json_reader.ts";
import {
  type ChainHead,
  type ChainLink,
  ChainTracker,
  sealCompleteRecord,
  type SealedRecord,
} from "../core/record.ts";
import { INDEX_COLUMN_NAMES, indexColumns, subjectKey } from "./columns.ts";
import { VerificationError } from "./errors.ts";
import { KEY_ROTATED_KIND, KEYS_STREAM } from "./key_records.ts";
import { pagedRows } from "./paged.ts";
import { LOG_ROWS, RECORD_COLUMNS } from "./recent.ts";
import { BLOCK_LEAVES, blockOf, SubjectBloom, SubjectBloomStore } from "./subject_bloom.ts";

/** Leaves per chunk: whole subject-filter blocks. */
export const CHUNK_LEAVES = 8 * BLOCK_LEAVES;

/** A stored record row with its derived columns. */
export interface RecordRow {
  leaf: number;
  body: Uint8Array;
  self_hash: Uint8Array;
  writer_id: string;
  stream: string;
  seq: number;
  ts_ms: number;
  kind: string;
  actor_key: string | null;
  subject_tag: number | null;
}

/** Selects record rows of leaves in [?, ?), in leaf order, a page (`LIMIT ?`) at a time. */
export const RECORD_ROWS_SQL =
  `SELECT ${RECORD_COLUMNS} FROM ${LOG_ROWS} WHERE leaf >= ? AND leaf < ? ORDER BY leaf LIMIT ?`;

/**
 * Throws unless the row read next, in leaf order, holds leaf `expected`: a smaller leaf is stored
 * twice (in `records` and in `recent`), a larger one means leaves are missing.
 */
export function checkNextLeaf(stored: number, expected: number): void {
  if (stored === expected) return;
  if (stored < expected) {
    throw new VerificationError("DUPLICATE_LEAF", `leaf ${stored} is stored twice`, { leafIndex: stored });
  }
  throw new VerificationError(
    "LEAF_GAP",
    `leaf ${expected} is missing (next stored leaf is ${stored})`,
    { leafIndex: expected },
  );
}

/** What records are checked against: fixed per ledger. */
export interface RecordContext {
  readonly hasher: Hasher;
  readonly alg: HashAlg;
  readonly bounds: RecordBounds;
}

/** A run of one chain's records within a chunk: its first link, and the head it leaves. */
export interface ChainSpan {
  readonly firstLeaf: number;
  readonly first: ChainLink;
  readonly next: ChainHead;
}

/** A failure as it crosses a worker boundary. */
export interface FailureData {
  readonly code: string;
  readonly detail: string;
  readonly where: SecuraMemError["where"];
}

/** The outcome of one chunk. */
export interface ChunkResult {
  readonly from: number;
  /** Leaves from `from` that passed, in order (all of the chunk unless `failure`). */
  readonly count: number;
  /** Their `self_hash` digests, concatenated. */
  readonly digests: Uint8Array;
  /** Per chain, in order of first leaf. */
  readonly spans: ChainSpan[];
  /** Key rotation records among them. */
  readonly rotations: { readonly leaf: number; readonly record: JsonValue }[];
  /** The first failure, found after `count` leaves passed. */
  readonly failure?: FailureData;
}

/**
 * Checks one row against its bytes (canonical form, hash, index columns); returns the sealed record.
 */
export function checkStoredRow(row: RecordRow, context: RecordContext): SealedRecord {
  const where = { leafIndex: row.leaf };
  const sealed = readStored(row.body, context, where);
  const loc = {
    ...where,
    writerId: sealed.record.writer_id,
    stream: sealed.record.stream,
    seq: sealed.record.seq,
  };
  if (!bytesEqual(sealed.digest, row.self_hash)) {
    throw new VerificationError(
      "HASH_MISMATCH",
      `stored self_hash ${
        formatHash(context.alg, row.self_hash)
      } is not the hash of the bytes (${sealed.selfHash})`,
      loc,
    );
  }
  const derived = indexColumns(sealed.record);
  for (const name of INDEX_COLUMN_NAMES) {
    if (derived[name] !== row[name]) {
      throw new VerificationError(
        "INDEX_MISMATCH",
        `column ${name} holds ${JSON.stringify(row[name])}, the record says ${JSON.stringify(derived[name])}`,
        loc,
      );
    }
  }
  return sealed;
}

/**
 * The stored bytes as a sealed record, which they must be byte for byte. `JSON.parse` plus a
 * byte comparison with the re-canonicalized record accepts exactly the canonical texts (any
 * duplicate key, float spelling or escape variant changes the bytes); the strict reader then
 * names what is wrong.
 */
function readStored(body: Uint8Array, context: RecordContext, where: { leafIndex: number }): SealedRecord {
  try {
    const sealed = sealCompleteRecord(JSON.parse(fromUtf8(body)), context.hasher, context.bounds);
    if (bytesEqual(sealed.bytes, body)) return sealed;
  } catch {
    // fall through to the strict reader for the precise error
  }
  try {
    sealCompleteRecord(readJsonBytes(body), context.hasher, context.bounds);
  } catch (error) {
    if (!(error instanceof SecuraMemError)) throw error;
    throw new VerificationError(error.code, `stored record is not canonical: ${error.detail}`, where);
  }
  throw new VerificationError(
    "NOT_CANONICAL",
    "stored bytes are not the canonical form of the record",
    where,
  );
}

/** Checks leaves [from, to) of the database `db`; `checkBlooms` also compares their blocks' subject filters. */
export class ChunkVerifier {
  private readonly rows: StatementSync;
  private readonly blooms: SubjectBloomStore;

  constructor(db: DatabaseSync, private readonly context: RecordContext) {
    this.rows = db.prepare(RECORD_ROWS_SQL);
    this.blooms = new SubjectBloomStore(db);
  }

  verify(from: number, to: number, checkBlooms: boolean): ChunkResult {
    const scan = new ChunkScan(from, to - from, this.context.alg);
    try {
      let bloom = new SubjectBloom();
      for (const row of pagedRows<RecordRow>(this.rows, "leaf", from, [to])) {
        const expected = scan.next;
        checkNextLeaf(row.leaf, expected);
        if (checkBlooms && expected > from && expected % BLOCK_LEAVES === 0) {
          this.compareBloom(blockOf(expected - 1), bloom);
          bloom = new SubjectBloom();
        }
        const sealed = checkStoredRow(row, this.context);
        scan.accept(sealed);
        const subject = checkBlooms ? subjectKey(sealed.record.subject) : null;
        if (subject !== null) bloom.add(subject);
      }
      if (scan.next !== to) {
        throw new VerificationError("LEAF_GAP", `leaf ${scan.next} is missing`, { leafIndex: scan.next });
      }
      if (checkBlooms && to > from) this.compareBloom(blockOf(to - 1), bloom);
    } catch (error) {
      if (!(error instanceof SecuraMemError)) throw error;
      return scan.result({ code: error.code, detail: error.detail, where: error.where });
    }
    return scan.result();
  }

  private compareBloom(block: number, rebuilt: SubjectBloom): void {
    const stored = this.blooms.get(block)?.bits ?? new Uint8Array(rebuilt.bits.length);
    if (!bytesEqual(stored, rebuilt.bits)) {
      const first = block * BLOCK_LEAVES;
      throw new VerificationError(
        "INDEX_MISMATCH",
        `the subject filter of leaves ${first}…${first + BLOCK_LEAVES - 1} does not match their subject keys`,
        { leafIndex: first },
      );
    }
  }
}

/** What a chunk has accepted so far. */
class ChunkScan {
  next: number;
  private readonly digests: Uint8Array;
  private readonly tracker: ChainTracker;
  /** Each chain's first record here, in leaf order; the tracker holds where each chain got to. */
  private readonly spans: { firstLeaf: number; first: ChainLink }[] = [];
  private readonly rotations: { leaf: number; record: JsonValue }[] = [];

  constructor(private readonly from: number, leaves: number, alg: HashAlg) {
    this.next = from;
    this.digests = new Uint8Array(leaves * DIGEST_BYTES);
    this.tracker = new ChainTracker(alg, true);
  }

  accept(sealed: SealedRecord): void {
    const { record } = sealed;
    const { writer_id, stream, seq, prev } = record;
    // A chain's first record here is checked by the main scan, which knows the chain's head.
    if (this.tracker.headOf(writer_id, stream) === undefined) {
      this.spans.push({ firstLeaf: this.next, first: { writer_id, stream, seq, prev } });
      this.tracker.expect(writer_id, stream, { prev, nextSeq: seq });
    }
    this.tracker.accept(sealed, { leafIndex: this.next });
    if (record.stream === KEYS_STREAM && record.kind === KEY_ROTATED_KIND) {
      this.rotations.push({ leaf: this.next, record: record as unknown as JsonValue });
    }
    this.digests.set(sealed.digest, (this.next - this.from) * DIGEST_BYTES);
    this.next++;
  }

  result(failure?: FailureData): ChunkResult {
    const count = this.next - this.from;
    return {
      from: this.from,
      count,
      digests: this.digests.subarray(0, count * DIGEST_BYTES),
      spans: this.spans.map((span) => ({
        ...span,
        next: this.tracker.headOf(span.first.writer_id, span.first.stream)!,
      })),
      rotations: this.rotations,
      failure,
    };
  }
}
