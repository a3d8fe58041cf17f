/**
 * Full verification of a ledger directory, in bounded memory: rows are streamed in leaf order;
 * what is kept is the Merkle frontier (O(log n)) and one head per chain.
 *
 * For every record: the stored bytes re-read as a canonical record; their hash equals the stored
 * `self_hash`; every index column equals what the bytes say; the chain link holds; the Merkle
 * nodes it completes equal the stored ones. At every stored checkpoint size the rebuilt root equals
 * the checkpoint's, and the checkpoint's signature verifies with a trusted key. Then: no
 * checkpoint or node beyond the log, chain heads as derived, guard triggers present, blobs intact.
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { openCheckpoint } from "../core/checkpoint.ts";
import { SecuraMemError } from "../core/errors.ts";
import { bytesEqual, fromUtf8, toHex } from "../core/encoding.ts";
import { formatHash } from "../core/hash.ts";
import { readJsonBytes } from "../core/json_reader.ts";
import { parseVerifierKey } from "../core/keys.ts";
import { KeyChain } from "../core/rotation.ts";
import { MerkleHasher } from "../core/merkle_hasher.ts";
import { MerkleTree, type NodeStore } from "../core/merkle_tree.ts";
import { verifyInclusion } from "../core/merkle_verify.ts";
import { ChainTracker, sealCompleteRecord, type SealedRecord } from "../core/record.ts";
import { INDEX_COLUMN_NAMES, indexColumns } from "./columns.ts";
import { VerificationError } from "./errors.ts";
import { KEY_ROTATED_KIND, KEYS_STREAM, type Ledger } from "./ledger.ts";
import { GUARD_TRIGGERS } from "./schema.ts";
import { nodeId, SqliteNodeStore } from "./node_store.ts";
import { pagedRows } from "./paged.ts";
import { BLOCK_LEAVES, blockOf, SubjectBloom, SubjectBloomStore } from "./subject_bloom.ts";
import { BLOB_ERASED_KIND } from "./blobs.ts";

/** Options of `verifyLedger`. */
export interface VerifyOptions {
  /**
   * Verifier key texts to trust. By default: the keys stored in the ledger, which must include
   * the public half of the directory's signer key.
   */
  readonly trustedKeys?: readonly string[];
  /**
   * Trust the stored checkpoint of this size (its signature is still checked) and verify only
   * the records after it.
   */
  readonly fromCheckpoint?: number;
  /** Called every 4096 records with (verified so far, total). */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Verify only leaves [from, to): each record's bytes, hash, index columns and chain link (from
   * its stored predecessor), and its inclusion in the newest signed checkpoint.
   */
  readonly range?: { readonly from: number; readonly to: number };
}

/** The outcome of a verification. */
export interface VerifyReport {
  readonly ok: boolean;
  /** Records in the log. */
  readonly size: number;
  /** Records checked (all of them, or those after `fromCheckpoint`). */
  readonly recordsChecked: number;
  readonly checkpointsChecked: number;
  readonly chains: number;
  readonly blobs: { readonly present: number; readonly erased: number };
  /** The first failure found, with its location. */
  readonly failure?: SecuraMemError;
}

interface RecordRow {
  leaf: number;
  body: Uint8Array;
  self_hash: Uint8Array;
  writer_id: string;
  stream: string;
  seq: number;
  ts_ms: number;
  kind: string;
  actor_key: string | null;
  subject_key: string | null;
}

/** Verifies the whole ledger; never throws for tampering, it reports it. */
export async function verifyLedger(ledger: Ledger, options: VerifyOptions = {}): Promise<VerifyReport> {
  const state = new VerifyState(ledger, options);
  // One read transaction: a consistent snapshot even while other connections append. Appends
  // through this same handle must wait for the report (use a second handle to verify live).
  const snapshot = !ledger.db.isTransaction;
  try {
    if (snapshot) ledger.db.exec("BEGIN");
    await state.run();
  } catch (error) {
    state.failure = error instanceof SecuraMemError ? error : databaseFailure(error);
  } finally {
    if (snapshot && ledger.db.isTransaction) ledger.db.exec("COMMIT");
  }
  return state.report();
}

class VerifyState {
  failure: SecuraMemError | undefined;
  private size = 0;
  private checked = 0;
  private checkpointsChecked = 0;
  private chains = 0;
  private blobs = { present: 0, erased: 0 };
  private readonly db: DatabaseSync;

  constructor(private readonly ledger: Ledger, private readonly options: VerifyOptions) {
    this.db = ledger.db;
  }

  report(): VerifyReport {
    return {
      ok: this.failure === undefined,
      size: this.size,
      recordsChecked: this.checked,
      checkpointsChecked: this.checkpointsChecked,
      chains: this.chains,
      blobs: this.blobs,
      failure: this.failure,
    };
  }

  async run(): Promise<void> {
    this.checkTriggers();
    const checkpoints = new StoredCheckpoints(this.db, this.options.fromCheckpoint ?? 0);
    this.size = (this.db.prepare("SELECT count(*) AS n FROM records").get() as { n: number }).n;
    if (this.options.range !== undefined) return await this.runRange(this.options.range, checkpoints);
    const start = this.options.fromCheckpoint ?? 0;
    const chain = await this.keyChain(start);
    const mh = new MerkleHasher(this.ledger.hasher);
    const nodes = new CheckingNodeStore(this.db, mh, start);
    const tree = start === 0 ? new MerkleTree(mh, nodes, 0) : this.trustedTree(mh, nodes, start, checkpoints);
    const tracker = new ChainTracker(this.ledger.meta.alg, start > 0);
    const blooms = start === 0 ? new BloomCheck(this.db) : undefined;
    const resumeChain = this.db.prepare(
      "SELECT self_hash FROM records WHERE writer_id = ? AND stream = ? AND seq = ?",
    );
    await this.checkCheckpointsAt(tree, checkpoints, chain);
    const rows = this.db.prepare(
      "SELECT leaf, body, self_hash, writer_id, stream, seq, ts_ms, kind, actor_key, subject_key " +
        "FROM records WHERE leaf >= ? ORDER BY leaf LIMIT ?",
    );
    let expected = start;
    for (const row of pagedRows<RecordRow>(rows, "leaf", start)) {
      if (row.leaf !== expected) {
        throw fail("LEAF_GAP", `leaf ${expected} is missing (next stored leaf is ${row.leaf})`, expected);
      }
      const sealed = this.checkRecord(row);
      if (start > 0 && tracker.headOf(sealed.record.writer_id, sealed.record.stream) === undefined) {
        this.expectStoredPredecessor(tracker, resumeChain, sealed);
      }
      tracker.accept(sealed, { leafIndex: row.leaf });
      blooms?.accept(row.leaf, row.subject_key);
      tree.appendEntry(sealed.digest);
      if (sealed.record.stream === KEYS_STREAM && sealed.record.kind === KEY_ROTATED_KIND) {
        await this.applyRotation(chain, sealed.record, row.leaf);
      }
      expected++;
      this.checked++;
      await this.checkCheckpointsAt(tree, checkpoints, chain);
      if (this.checked % 4096 === 0) this.options.onProgress?.(this.checked, this.size - start);
    }
    if (expected !== this.size) throw fail("LEAF_GAP", `leaf indexes are not 0…${this.size - 1}`, expected);
    this.options.onProgress?.(this.checked, this.size - start);
    this.checkNothingBeyond(tree.size, checkpoints);
    this.checkSignerKey(chain);
    blooms?.finish(this.size);
    if (start === 0) this.checkHeads(tracker);
    this.checkBlobs();
  }

  /** Range verification: every record in [from, to) proven into the newest signed checkpoint. */
  private async runRange(
    range: { from: number; to: number },
    checkpoints: StoredCheckpoints,
  ): Promise<void> {
    const { from, to } = range;
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to || to > this.size) {
      throw new VerificationError("BAD_RANGE", `range ${from}…${to} is outside the log (0…${this.size})`);
    }
    const newest = checkpoints.newest;
    if (newest < to) {
      throw new VerificationError("CHECKPOINT_MISSING", `no checkpoint covers leaf ${to - 1}`, {
        leafIndex: newest,
      });
    }
    const chain = await this.keyChain(newest);
    const stored = checkpoints.at(newest)!;
    let signed;
    try {
      signed =
        (await openCheckpoint(stored.note, chain.verifiersFor(newest), this.ledger.meta.origin)).checkpoint;
    } catch (error) {
      if (!(error instanceof SecuraMemError)) throw error;
      throw new VerificationError(error.code, `checkpoint of size ${newest}: ${error.detail}`, {
        leafIndex: newest,
      });
    }
    const mh = new MerkleHasher(this.ledger.hasher);
    const tracker = new ChainTracker(this.ledger.meta.alg, true);
    const resumeChain = this.db.prepare(
      "SELECT self_hash FROM records WHERE writer_id = ? AND stream = ? AND seq = ?",
    );
    const rows = this.db.prepare(
      "SELECT leaf, body, self_hash, writer_id, stream, seq, ts_ms, kind, actor_key, subject_key " +
        "FROM records WHERE leaf >= ? AND leaf < ? ORDER BY leaf LIMIT ?",
    );
    let expected = from;
    for (const row of pagedRows<RecordRow>(rows, "leaf", from, [to])) {
      if (row.leaf !== expected) throw fail("LEAF_GAP", `leaf ${expected} is missing`, expected);
      const sealed = this.checkRecord(row);
      if (tracker.headOf(sealed.record.writer_id, sealed.record.stream) === undefined) {
        this.expectStoredPredecessor(tracker, resumeChain, sealed);
      }
      tracker.accept(sealed, { leafIndex: row.leaf });
      try {
        verifyInclusion(
          mh,
          row.leaf,
          signed.size,
          mh.leaf(sealed.digest),
          this.ledger.inclusionProof(row.leaf, signed.size),
          signed.root,
        );
      } catch (error) {
        if (!(error instanceof SecuraMemError)) throw error;
        const sibling = row.leaf % 2 === 0 ? row.leaf + 1 : row.leaf - 1;
        throw new VerificationError(
          error.code,
          `leaf's proof does not reach the signed root (this record or leaf ${sibling} was altered): ${error.detail}`,
          { leafIndex: row.leaf },
        );
      }
      expected++;
      this.checked++;
      if (this.checked % 4096 === 0) this.options.onProgress?.(this.checked, to - from);
    }
    if (expected !== to) throw fail("LEAF_GAP", `leaf ${expected} is missing`, expected);
    this.checkpointsChecked = 1;
    this.chains = tracker.chainCount;
  }

  private checkTriggers(): void {
    const rows = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as {
      name: string;
    }[];
    const present = new Set(rows.map((row) => row.name));
    const missing = GUARD_TRIGGERS.filter((name) => !present.has(name));
    if (missing.length > 0) {
      throw new VerificationError(
        "TRIGGERS_MISSING",
        `append-only guards were removed: ${missing.join(", ")}`,
      );
    }
  }

  /**
   * The key chain: from the trusted keys given, or else from the ledger's first stored key,
   * with every rotation before `start` applied (later ones are applied as the scan meets them).
   */
  private async keyChain(start: number): Promise<KeyChain> {
    const stored = this.ledger.verifierKeys();
    const own = this.ledger.verifierKey;
    if (this.options.trustedKeys === undefined && own !== undefined && !stored.includes(own)) {
      throw new VerificationError(
        "KEY_MISMATCH",
        "the public keys stored in the ledger do not include the signer key's public half",
      );
    }
    const first = this.options.trustedKeys ?? stored.slice(0, 1);
    const chain = new KeyChain(await Promise.all(first.map((text) => parseVerifierKey(text))));
    const earlier = this.db.prepare(
      "SELECT leaf, body FROM records WHERE stream = ? AND kind = ? AND leaf < ? ORDER BY leaf",
    )
      .all(KEYS_STREAM, KEY_ROTATED_KIND, start) as { leaf: number; body: Uint8Array }[];
    for (const row of earlier) await this.applyRotation(chain, readJsonBytes(row.body), row.leaf);
    return chain;
  }

  private async applyRotation(chain: KeyChain, record: unknown, leaf: number): Promise<void> {
    const statement = (record as { attrs?: { rotation?: unknown } }).attrs?.rotation;
    try {
      if (typeof statement !== "string") {
        throw new VerificationError("BAD_ROTATION", "KeyRotated record carries no statement");
      }
      const rotation = await chain.rotate(statement, this.ledger.meta.origin);
      if (rotation.leaf !== leaf) {
        throw new VerificationError("BAD_ROTATION", `rotation statement names leaf ${rotation.leaf}`);
      }
    } catch (error) {
      if (!(error instanceof SecuraMemError)) throw error;
      throw new VerificationError(error.code, error.detail, { leafIndex: leaf });
    }
  }

  private checkSignerKey(chain: KeyChain): void {
    const own = this.ledger.verifierKey;
    if (this.options.trustedKeys === undefined && own !== undefined && chain.current.text !== own) {
      throw new VerificationError(
        "KEY_MISMATCH",
        "the signer key's public half is not the key the log's key chain ends with",
      );
    }
  }

  private trustedTree(
    mh: MerkleHasher,
    nodes: CheckingNodeStore,
    size: number,
    checkpoints: StoredCheckpoints,
  ): MerkleTree {
    if (checkpoints.at(size) === undefined) {
      throw new VerificationError("NO_CHECKPOINT", `no stored checkpoint of size ${size} to start from`);
    }
    return new MerkleTree(mh, nodes, size);
  }

  private async checkCheckpointsAt(
    tree: MerkleTree,
    checkpoints: StoredCheckpoints,
    chain: KeyChain,
  ): Promise<void> {
    const stored = checkpoints.take(tree.size);
    if (stored === undefined) return;
    const verifiers = chain.verifiersFor(tree.size);
    const where = { leafIndex: tree.size };
    const root = tree.root();
    let opened;
    try {
      opened = await openCheckpoint(stored.note, verifiers, this.ledger.meta.origin);
    } catch (error) {
      if (!(error instanceof SecuraMemError)) throw error;
      throw new VerificationError(error.code, `checkpoint of size ${tree.size}: ${error.detail}`, where);
    }
    if (opened.checkpoint.size !== tree.size || !bytesEqual(opened.checkpoint.root, stored.root)) {
      throw new VerificationError(
        "CHECKPOINT_MISMATCH",
        `checkpoint of size ${tree.size}: its signed note and its stored columns disagree`,
        where,
      );
    }
    if (!bytesEqual(root, opened.checkpoint.root)) {
      throw new VerificationError(
        "ROOT_MISMATCH",
        `records 0…${tree.size - 1} give root ${toHex(root)}, the signed checkpoint says ${
          toHex(opened.checkpoint.root)
        }`,
        where,
      );
    }
    this.checkpointsChecked++;
  }

  private checkRecord(row: RecordRow): SealedRecord {
    const where = { leafIndex: row.leaf };
    const sealed = this.readStored(row.body, where);
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
          formatHash(this.ledger.meta.alg, row.self_hash)
        } is not the hash of the bytes (${sealed.selfHash})`,
        loc,
      );
    }
    const derived = indexColumns(sealed.record);
    for (const name of INDEX_COLUMN_NAMES) {
      if (derived[name] !== row[name]) {
        throw new VerificationError(
          "INDEX_MISMATCH",
          `column ${name} holds ${JSON.stringify(row[name])}, the record says ${
            JSON.stringify(derived[name])
          }`,
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
  private readStored(body: Uint8Array, where: { leafIndex: number }): SealedRecord {
    const { hasher, meta } = this.ledger;
    try {
      const sealed = sealCompleteRecord(JSON.parse(fromUtf8(body)), hasher, meta.bounds);
      if (bytesEqual(sealed.bytes, body)) return sealed;
    } catch {
      // fall through to the strict reader for the precise error
    }
    try {
      sealCompleteRecord(readJsonBytes(body), hasher, meta.bounds);
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

  private expectStoredPredecessor(tracker: ChainTracker, resume: StatementSync, sealed: SealedRecord): void {
    const { writer_id, stream, seq } = sealed.record;
    if (seq === 1) return;
    const row = resume.get(writer_id, stream, seq - 1) as { self_hash: Uint8Array } | undefined;
    if (row === undefined) return;
    tracker.expect(writer_id, stream, {
      prev: formatHash(this.ledger.meta.alg, row.self_hash),
      nextSeq: seq,
    });
  }

  private checkNothingBeyond(size: number, checkpoints: StoredCheckpoints): void {
    const newest = checkpoints.newest;
    if (newest < size) {
      throw new VerificationError(
        "CHECKPOINT_MISSING",
        `records ${newest}…${size - 1} are covered by no checkpoint (every commit stores one)`,
        { leafIndex: newest },
      );
    }
    if (newest > size) {
      throw new VerificationError(
        "CHECKPOINT_BEYOND_LOG",
        `checkpoint of size ${
          checkpoints.firstAfter(size)
        } but the log holds ${size} records (records were removed)`,
        { leafIndex: size },
      );
    }
    const nodes = this.db.prepare("SELECT count(*) AS n, max(id) AS top FROM nodes").get() as {
      n: number;
      top: number | null;
    };
    const expected = interiorNodeCount(size);
    if (nodes.n !== expected || (nodes.top ?? 0) >= nodeId(0, size)) {
      throw new VerificationError(
        "NODE_MISMATCH",
        `${nodes.n} interior Merkle nodes are stored; ${size} records make ${expected}`,
        { leafIndex: size },
      );
    }
  }

  private checkHeads(tracker: ChainTracker): void {
    const rows = this.db.prepare("SELECT writer_id, stream, seq, self_hash FROM heads").all() as {
      writer_id: string;
      stream: string;
      seq: number;
      self_hash: Uint8Array;
    }[];
    for (const row of rows) {
      const head = tracker.headOf(row.writer_id, row.stream);
      const stored = formatHash(this.ledger.meta.alg, row.self_hash);
      if (head === undefined || head.nextSeq !== row.seq + 1 || head.prev !== stored) {
        throw new VerificationError("HEAD_MISMATCH", "stored chain head disagrees with the records", {
          writerId: row.writer_id,
          stream: row.stream,
          seq: row.seq,
        });
      }
    }
    this.chains = rows.length;
    if (tracker.chainCount !== rows.length) {
      throw new VerificationError(
        "HEAD_MISMATCH",
        `${tracker.chainCount} chains in the records, ${rows.length} heads stored`,
      );
    }
  }

  private checkBlobs(): void {
    const hasher = this.ledger.hasher;
    const erasedBy = this.db.prepare("SELECT body FROM records WHERE leaf = ?");
    for (const raw of this.db.prepare("SELECT content_id, bytes, erase_leaf FROM blobs").iterate()) {
      const row = raw as { content_id: string; bytes: Uint8Array | null; erase_leaf: number | null };
      if (row.bytes !== null) {
        if (formatHash(hasher.alg, hasher.digest(row.bytes)) !== row.content_id) {
          throw new VerificationError("BLOB_MISMATCH", `blob ${row.content_id} does not hash to its id`);
        }
        this.blobs.present++;
        continue;
      }
      const tombstone = row.erase_leaf === null
        ? undefined
        : erasedBy.get(row.erase_leaf) as { body: Uint8Array } | undefined;
      if (tombstone === undefined || !isTombstoneOf(readJsonBytes(tombstone.body), row.content_id)) {
        throw new VerificationError(
          "BLOB_MISSING",
          `blob ${row.content_id} has no bytes and no erasure record`,
          row.erase_leaf === null ? {} : { leafIndex: row.erase_leaf },
        );
      }
      this.blobs.erased++;
    }
  }
}

interface CheckpointRow {
  size: number;
  root: Uint8Array;
  note: string;
}

/**
 * The stored checkpoints, read in size order alongside the records (never all at once: a ledger
 * of single appends holds one per record), plus point look-ups.
 */
class StoredCheckpoints {
  /** The largest stored size. */
  readonly newest: number;
  private readonly cursor: Iterator<unknown>;
  private head: CheckpointRow | undefined;
  private readonly select: StatementSync;
  private readonly after: StatementSync;

  constructor(db: DatabaseSync, fromSize: number) {
    const newest = (db.prepare("SELECT max(size) AS n FROM checkpoints").get() as { n: number | null }).n;
    if (newest === null) throw new VerificationError("NO_CHECKPOINT", "the ledger holds no checkpoint");
    this.newest = newest;
    this.select = db.prepare("SELECT size, root, note FROM checkpoints WHERE size = ?");
    this.after = db.prepare("SELECT min(size) AS n FROM checkpoints WHERE size > ?");
    this.cursor = pagedRows<CheckpointRow>(
      db.prepare("SELECT size, root, note FROM checkpoints WHERE size >= ? ORDER BY size LIMIT ?"),
      "size",
      fromSize,
    );
    this.advance();
  }

  /** The checkpoint of exactly `size`, if stored; the scan asks every size in order, so none is passed over. */
  take(size: number): CheckpointRow | undefined {
    if (this.head?.size !== size) return undefined;
    const row = this.head;
    this.advance();
    return row;
  }

  /** The checkpoint of `size`, by look-up. */
  at(size: number): CheckpointRow | undefined {
    return this.select.get(size) as CheckpointRow | undefined;
  }

  /** The smallest stored size above `size`. */
  firstAfter(size: number): number | undefined {
    return (this.after.get(size) as { n: number | null }).n ?? undefined;
  }

  private advance(): void {
    const next = this.cursor.next();
    this.head = next.done ? undefined : next.value as CheckpointRow;
  }
}

/**
 * Compares every interior node the rebuilt tree completes with the stored one, instead of storing
 * it. A mismatch is located at the leaf whose append completed the node.
 */
class CheckingNodeStore implements NodeStore {
  private readonly stored: SqliteNodeStore;
  /** Stored nodes in id order, from the first a leaf ≥ the start completes: merged with the rebuild. */
  private readonly scan: Generator<NodeRow>;
  private head: NodeRow | undefined;

  constructor(db: DatabaseSync, mh: MerkleHasher, fromLeaf: number) {
    this.stored = new SqliteNodeStore(db, mh);
    const select = db.prepare("SELECT id, hash FROM nodes WHERE id >= ? ORDER BY id LIMIT ?");
    this.scan = pagedRows<NodeRow>(select, "id", nodeId(0, fromLeaf));
    this.head = this.scan.next().value ?? undefined;
  }

  get(level: number, index: number): Uint8Array | undefined {
    return this.stored.get(level, index);
  }

  /** The rebuilt node must be the next stored one: nodes are stored in the order appends complete them. */
  put(level: number, index: number, hash: Uint8Array): void {
    if (level === 0) return; // leaf hashes are derived from the self_hash just checked
    const id = nodeId(level, index);
    const leafIndex = (index + 1) * 2 ** level - 1;
    if (this.head !== undefined && this.head.id < id) {
      throw new VerificationError(
        "NODE_MISMATCH",
        `a Merkle node is stored under id ${this.head.id}, which no record completes`,
        { leafIndex: Math.floor(this.head.id / 64) },
      );
    }
    if (this.head?.id !== id || !bytesEqual(this.head.hash, hash)) {
      throw new VerificationError(
        "NODE_MISMATCH",
        `Merkle node (level ${level}, index ${index}) is ${this.head?.id !== id ? "missing" : "wrong"}`,
        { leafIndex },
      );
    }
    this.head = this.scan.next().value ?? undefined;
  }
}

/** Rebuilds each block's subject filter from the records and compares it with the stored one. */
class BloomCheck {
  private readonly stored: SubjectBloomStore;
  private block = 0;
  private bloom = new SubjectBloom();

  constructor(private readonly db: DatabaseSync) {
    this.stored = new SubjectBloomStore(db);
  }

  accept(leaf: number, subjectKey: string | null): void {
    if (blockOf(leaf) !== this.block) this.nextBlock(blockOf(leaf));
    if (subjectKey !== null) this.bloom.add(subjectKey);
  }

  /** Checks the last block and that no filter lies beyond the log. */
  finish(size: number): void {
    this.compare();
    const top =
      (this.db.prepare("SELECT max(block) AS top FROM subject_blooms").get() as { top: number | null }).top;
    if (top !== null && top * BLOCK_LEAVES >= size) {
      throw new VerificationError(
        "INDEX_MISMATCH",
        `a subject filter is stored for block ${top}, beyond the log`,
        {
          leafIndex: top * BLOCK_LEAVES,
        },
      );
    }
  }

  private nextBlock(block: number): void {
    this.compare();
    this.block = block;
    this.bloom = new SubjectBloom();
  }

  private compare(): void {
    const stored = this.stored.get(this.block)?.bits ?? new Uint8Array(this.bloom.bits.length);
    if (!bytesEqual(stored, this.bloom.bits)) {
      const first = this.block * BLOCK_LEAVES;
      throw new VerificationError(
        "INDEX_MISMATCH",
        `the subject filter of leaves ${first}…${first + BLOCK_LEAVES - 1} does not match their subject keys`,
        { leafIndex: first },
      );
    }
  }
}

interface NodeRow {
  id: number;
  hash: Uint8Array;
}

/** Interior nodes of a tree of `size` leaves: complete subtrees of height ≥ 1. */
function interiorNodeCount(size: number): number {
  let count = 0;
  for (let width = 2; width <= size; width *= 2) count += Math.floor(size / width);
  return count;
}

function isTombstoneOf(record: unknown, contentId: string): boolean {
  const { kind, subject } = record as { kind?: unknown; subject?: { content_id?: unknown } };
  return kind === BLOB_ERASED_KIND && subject?.content_id === contentId;
}

function fail(code: string, message: string, leafIndex: number): VerificationError {
  return new VerificationError(code, message, { leafIndex });
}

function databaseFailure(error: unknown): VerificationError {
  const message = error instanceof Error ? error.message : String(error);
  return new VerificationError("DATABASE_CORRUPT", `the database cannot be read: ${message.split("\n")[0]}`);
}
