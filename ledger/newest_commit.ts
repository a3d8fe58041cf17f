/**
 * What the newest commit stored, kept in memory: a receipt for a record just appended (the
 * server's and the CLI's common case, a batch's receipts included) then reads neither its record
 * nor its checkpoint back from SQLite and parses no note. Records and checkpoints never change once
 * committed, so what is kept stays true whatever other processes append; it is replaced by the
 * next commit of its kind.
 * @module
 */
import type { StoredCheckpoint, StoredRecord } from "./ledger.ts";
import { fromUtf8 } from "../core/encoding.ts";

/**
 * Most canonical bytes of one commit kept: a batch of 8,192 records of 1 KiB. A commit that
 * stores more keeps none, and its receipts read the records back.
 */
export const KEPT_BYTES = 8 * 1024 * 1024;

/** A record as stored: its leaf, canonical bytes and `self_hash` text. */
interface KeptRecord {
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly selfHash: string;
}

/** The records and checkpoint of the newest commit, and those of the open transaction. */
export class NewestCommit {
  private pendingRecords: KeptRecord[] = [];
  private pendingBytes = 0;
  private pendingCheckpoint: StoredCheckpoint | undefined;
  private records: KeptRecord[] = [];
  private checkpoint: StoredCheckpoint | undefined;

  /** Starts a transaction: nothing of it is kept until `commit`. */
  begin(): void {
    this.pendingRecords = [];
    this.pendingBytes = 0;
    this.pendingCheckpoint = undefined;
  }

  /** A record the open transaction stored. */
  addRecord(index: number, bytes: Uint8Array, selfHash: string): void {
    this.pendingBytes += bytes.length;
    if (this.pendingBytes <= KEPT_BYTES) this.pendingRecords.push({ index, bytes, selfHash });
  }

  /** The checkpoint the open transaction stored. */
  addCheckpoint(stored: StoredCheckpoint): void {
    this.pendingCheckpoint = stored;
  }

  /** The open transaction committed: what it stored is now the newest. */
  commit(): void {
    if (this.pendingRecords.length > 0) {
      this.records = this.pendingBytes <= KEPT_BYTES ? this.pendingRecords : [];
    }
    this.checkpoint = this.pendingCheckpoint ?? this.checkpoint;
    this.begin();
  }

  /** The kept record at leaf `index`, if the newest commit stored it. */
  record(index: number): StoredRecord | undefined {
    const first = this.records[0]?.index;
    if (first === undefined || index < first || index >= first + this.records.length) return undefined;
    const kept = this.records[index - first];
    return { index, text: fromUtf8(kept.bytes), selfHash: kept.selfHash };
  }

  /** The kept checkpoint, if it has `size` leaves. */
  checkpointOf(size: number): StoredCheckpoint | undefined {
    return this.checkpoint?.checkpoint.size === size ? this.checkpoint : undefined;
  }
}
