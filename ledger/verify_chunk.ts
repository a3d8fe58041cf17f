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
import type { DatabaseSync } from "node:sqlite";
import { SecuraMemError } from "../core/errors.ts";
import { bytesEqual } from "../core/encoding.ts";
import { DIGEST_BYTES, formatHash, type HashAlg } from "../core/hash.ts";
import type { JsonValue } from "../core/json.ts";
import { type ChainHead, type ChainLink, ChainTracker, type SealedRecord } from "../core/record.ts";
import { INDEX_COLUMN_NAMES, indexColumns, subjectKey } from "./columns.ts";
import { VerificationError } from "./errors.ts";
import { KEY_ROTATED_KIND, KEYS_STREAM } from "./key_records.ts";
import { pagedRows, returningArrays } from "./paged.ts";
import { LOG_ROWS } from "./recent.ts";
import { BODY_TEXT_COLUMNS, type BodyContext, StoredBodies } from "./stored_body.ts";
import { BLOCK_LEAVES, blockOf, SubjectBloom, SubjectBloomStore } from "./subject_bloom.ts";

/** Leaves per chunk: whole subject-filter blocks. */
export const CHUNK_LEAVES = 8 * BLOCK_LEAVES;

/**
 * A stored record row as `recordRows` returns it: an array (`returningArrays`), its bytes read as
 * text (ledger/stored_body.ts), then `self_hash` and the index columns in INDEX_COLUMN_NAMES order.
 */
export type RecordRow = [
  leaf: number,
  bodyText: string,
  bodyBytes: number,
  selfHash: Uint8Array,
  ...index: (string | number | null)[],
];

/** Where the index columns start in a `RecordRow`. */
const FIRST_INDEX_COLUMN = 4;

/**
 * Selects record rows of leaves in [?, ?), in leaf order, a page (`LIMIT ?`) at a time. The body
 * comes as text: in Deno's `node:sqlite` a BLOB costs a fresh `ArrayBuffer` per row (~1.3 µs at
 * 1 KiB) and its decoding another ~0.5 µs, a third of reading the row.
 */
const RECORD_ROWS_SQL = `SELECT leaf, ${BODY_TEXT_COLUMNS}, self_hash, ${
  INDEX_COLUMN_NAMES.join(", ")
} FROM ${LOG_ROWS} WHERE leaf >= ? AND leaf < ? ORDER BY leaf LIMIT ?`;

/** Reads the record rows of leaves [from, to) of `db`, in leaf order. */
export function recordRows(db: DatabaseSync): (from: number, to: number) => Generator<RecordRow> {
  const statement = returningArrays(db.prepare(RECORD_ROWS_SQL));
  return (from, to) => pagedRows<RecordRow>(statement, 0, from, [to]);
}

/**
 * Throws unless the row read next, in leaf order, holds leaf `expected`: a smaller leaf is stored
 * twice (in `records` and in `recent`), a larger one means leaves are missing.
 */
export function checkNextLeaf(stored: number, expected: number): void {
  if (stored === expected) return;
  if (stored < expected) {
    throw new VerificationError("DUPLICATE_LEAF", "stored twice", { leafIndex: stored });
  }
  throw new VerificationError(
    "LEAF_GAP",
    `missing from the log (the next stored leaf is ${stored})`,
    { leafIndex: expected },
  );
}

/** What records are checked against: fixed per ledger. */
export interface RecordContext extends BodyContext {
  readonly alg: HashAlg;
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
export function checkStoredRow(row: RecordRow, context: RecordContext, bodies: StoredBodies): SealedRecord {
  const [leaf, bodyText, bodyBytes, selfHash] = row;
  const sealed = bodies.read(leaf, bodyText, bodyBytes, context);
  const loc = {
    leafIndex: leaf,
    writerId: sealed.record.writer_id,
    stream: sealed.record.stream,
    seq: sealed.record.seq,
  };
  if (!(selfHash instanceof Uint8Array)) {
    throw new VerificationError("HASH_MISMATCH", "stored self_hash is not a BLOB of bytes", loc);
  }
  if (!bytesEqual(sealed.digest, selfHash)) {
    throw new VerificationError(
      "HASH_MISMATCH",
      `stored self_hash ${
        formatHash(context.alg, selfHash)
      } is not the hash of the bytes (${sealed.selfHash})`,
      loc,
    );
  }
  const derived = indexColumns(sealed.record);
  for (let i = 0; i < INDEX_COLUMN_NAMES.length; i++) {
    const name = INDEX_COLUMN_NAMES[i];
    const stored = row[FIRST_INDEX_COLUMN + i];
    if (derived[name] !== stored) {
      throw new VerificationError(
        "INDEX_MISMATCH",
        `column ${name} holds ${JSON.stringify(stored)}, the record says ${JSON.stringify(derived[name])}`,
        loc,
      );
    }
  }
  return sealed;
}

/** Checks leaves [from, to) of the database `db`; `checkBlooms` also compares their blocks' subject filters. */
export class ChunkVerifier {
  private readonly rows: (from: number, to: number) => Generator<RecordRow>;
  private readonly bodies: StoredBodies;
  private readonly blooms: SubjectBloomStore;

  constructor(db: DatabaseSync, private readonly context: RecordContext) {
    this.rows = recordRows(db);
    this.bodies = new StoredBodies(db);
    this.blooms = new SubjectBloomStore(db);
  }

  verify(from: number, to: number, checkBlooms: boolean): ChunkResult {
    const scan = new ChunkScan(from, to - from, this.context.alg);
    try {
      let bloom = new SubjectBloom();
      for (const row of this.rows(from, to)) {
        const expected = scan.next;
        checkNextLeaf(row[0], expected);
        if (checkBlooms && expected > from && expected % BLOCK_LEAVES === 0) {
          this.compareBloom(blockOf(expected - 1), bloom);
          bloom = new SubjectBloom();
        }
        const sealed = checkStoredRow(row, this.context, this.bodies);
        scan.accept(sealed);
        const subject = checkBlooms ? subjectKey(sealed.record.subject) : null;
        if (subject !== null) bloom.add(subject);
      }
      if (scan.next !== to) {
        throw new VerificationError("LEAF_GAP", "missing from the log", { leafIndex: scan.next });
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
