/**
 * Off-chain payloads: a content-addressed blob store in the ledger database. AI prompts and
 * outputs stay out of the chain; a record names its payload by `subject.content_id`, the
 * ledger-hash of the bytes. Erasure (GDPR, retention) deletes the bytes and appends a tombstone
 * record; the chain and every proof still verify.
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { formatHash, type Hasher } from "../core/hash.ts";
import { LedgerError } from "./errors.ts";

/** `kind` of the tombstone record appended when a blob is erased. */
export const BLOB_ERASED_KIND = "BlobErased";
/** Stream of tombstone records. */
export const RETENTION_STREAM = "securamem.retention";

/** What the store knows of one blob. */
export interface BlobInfo {
  readonly contentId: string;
  readonly size: number;
  readonly addedMs: number;
  /** Set when erased: when, and the leaf of the tombstone record. */
  readonly erased?: { readonly atMs: number; readonly leaf: number };
}

interface BlobRow {
  bytes: Uint8Array | null;
  size: number;
  added_ms: number;
  erased_ms: number | null;
  erase_leaf: number | null;
}

/** The blob table of one ledger. Writes join the caller's transaction. */
export class BlobStore {
  private readonly insert: StatementSync;
  private readonly select: StatementSync;
  private readonly erase: StatementSync;

  constructor(db: DatabaseSync, private readonly hasher: Hasher) {
    this.insert = db.prepare(
      "INSERT INTO blobs (content_id, bytes, size, added_ms) VALUES (?, ?, ?, ?) ON CONFLICT (content_id) DO NOTHING",
    );
    this.select = db.prepare(
      "SELECT content_id, bytes, size, added_ms, erased_ms, erase_leaf FROM blobs WHERE content_id = ?",
    );
    this.erase = db.prepare(
      "UPDATE blobs SET bytes = NULL, erased_ms = ?, erase_leaf = ? WHERE content_id = ?",
    );
  }

  /** The content id of `bytes`: `"<alg>:<hex>"` of their ledger hash. */
  contentId(bytes: Uint8Array): string {
    return formatHash(this.hasher.alg, this.hasher.digest(bytes));
  }

  /** Stores `bytes` (once per content) and returns their content id. */
  put(bytes: Uint8Array, nowMs: number): string {
    const contentId = this.contentId(bytes);
    const known = this.info(contentId);
    if (known?.erased !== undefined) {
      throw new LedgerError("BLOB_ERASED", `blob ${contentId} was erased and cannot be stored again`);
    }
    this.insert.run(contentId, bytes, bytes.length, nowMs);
    return contentId;
  }

  /** The bytes of a blob; `BLOB_UNKNOWN` or `BLOB_ERASED` when there are none. */
  get(contentId: string): Uint8Array {
    const row = this.row(contentId);
    if (row === undefined) throw new LedgerError("BLOB_UNKNOWN", `no blob ${contentId}`);
    if (row.bytes === null) throw new LedgerError("BLOB_ERASED", `blob ${contentId} was erased`);
    return row.bytes;
  }

  /** What is known of a blob, or `undefined`. */
  info(contentId: string): BlobInfo | undefined {
    const row = this.row(contentId);
    if (row === undefined) return undefined;
    const erased = row.erased_ms === null || row.erase_leaf === null
      ? undefined
      : { atMs: row.erased_ms, leaf: row.erase_leaf };
    return { contentId, size: row.size, addedMs: row.added_ms, erased };
  }

  /** Deletes the bytes, recording the tombstone's leaf. */
  markErased(contentId: string, nowMs: number, tombstoneLeaf: number): void {
    this.erase.run(nowMs, tombstoneLeaf, contentId);
  }

  private row(contentId: string): BlobRow | undefined {
    return this.select.get(contentId) as BlobRow | undefined;
  }
}
