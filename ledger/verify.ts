/**
 * Full verification of a ledger directory, in bounded memory: rows are streamed in leaf order;
 * what is kept is the Merkle frontier (O(log n)) and one head per chain.
 *
 * For every record: the stored bytes re-read as a canonical record; their hash equals the stored
 * `self_hash`; every index column equals what the bytes say; the chain link holds; the Merkle
 * nodes it completes equal the stored ones. At every stored checkpoint size the rebuilt root equals
 * the checkpoint's, and the checkpoint's signature verifies with a trusted key. Then: no
 * checkpoint or node beyond the log, chain heads as derived, guard triggers present, blobs intact,
 * and every stored witness cosignature verifies over the checkpoint it cosigns.
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { openCheckpoint } from "../core/checkpoint.ts";
import { SecuraMemError } from "../core/errors.ts";
import { bytesEqual, toHex } from "../core/encoding.ts";
import { DIGEST_BYTES, formatHash } from "../core/hash.ts";
import { readJsonBytes } from "../core/json_reader.ts";
import { parseCosignerVerifierKey } from "../core/cosignature.ts";
import { type NoteVerifier, parseVerifierKey } from "../core/keys.ts";
import { KeyChain } from "../core/rotation.ts";
import { MerkleHasher } from "../core/merkle_hasher.ts";
import { MerkleTree, type NodeStore } from "../core/merkle_tree.ts";
import { verifyInclusion } from "../core/merkle_verify.ts";
import { type ChainLink, ChainTracker } from "../core/record.ts";
import { checkStoredCosignature, CosignatureStore } from "./cosignatures.ts";
import { VerificationError } from "./errors.ts";
import { KEY_ROTATED_KIND, KEYS_STREAM } from "./key_records.ts";
import type { Ledger } from "./ledger.ts";
import { GUARD_TRIGGERS } from "./schema.ts";
import { nodeId, readLeafNodesFrom, SqliteNodeStore } from "./node_store.ts";
import { pagedRows, returningArrays } from "./paged.ts";
import { LOG_ROWS } from "./recent.ts";
import { BLOCK_LEAVES } from "./subject_bloom.ts";
import { BLOB_ERASED_KIND } from "./blobs.ts";
import { StoredBodies } from "./stored_body.ts";
import {
  checkNextLeaf,
  checkStoredRow,
  CHUNK_LEAVES,
  type ChunkResult,
  type RecordContext,
  recordRows,
} from "./verify_chunk.ts";
import { type ChunkSource, inlineChunks, WorkerChunks } from "./verify_pool.ts";

/** The stored hash of a chain's record by (writer_id, stream, seq): where a scan resumes a chain. */
const CHAIN_LINK_SQL = `SELECT self_hash FROM ${LOG_ROWS} WHERE writer_id = ? AND stream = ? AND seq = ?`;

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
  /**
   * Workers that check records in parallel, each with its own read-only connection; 1 checks in
   * line. Ledgers under two chunks (16,384 records) are always checked in line.
   * @default navigator.hardwareConcurrency, at most 8
   */
  readonly workers?: number;
}

/** The outcome of a verification. */
export interface VerifyReport {
  readonly ok: boolean;
  /** Records in the log. */
  readonly size: number;
  /** Records checked (all of them, or those after `fromCheckpoint`). */
  readonly recordsChecked: number;
  readonly checkpointsChecked: number;
  /** Witness cosignatures stored for those checkpoints, each re-checked with its stored witness key. */
  readonly cosignaturesChecked: number;
  /** Chains (writer and stream) whose links were checked: every chain in a full verify. */
  readonly chains: number;
  readonly blobs: { readonly present: number; readonly erased: number };
  /** Workers that checked records (0: all in line). */
  readonly workers: number;
  /** The first failure found, with its location. */
  readonly failure?: SecuraMemError;
}

/** Verifies the whole ledger; never throws for tampering, it reports it. */
export async function verifyLedger(ledger: Ledger, options: VerifyOptions = {}): Promise<VerifyReport> {
  // One read transaction: a consistent snapshot even while other connections append. Appends
  // through this same handle must wait for the report (use a second handle to verify live).
  const snapshot = !ledger.db.isTransaction;
  const state = new VerifyState(ledger, options, snapshot);
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

/** What the ordered scan carries from chunk to chunk. */
interface OrderedScan {
  readonly start: number;
  readonly tree: MerkleTree;
  readonly tracker: ChainTracker;
  readonly chain: KeyChain;
  readonly checkpoints: StoredCheckpoints;
  readonly resumeChain: StatementSync;
}

class VerifyState {
  failure: SecuraMemError | undefined;
  private size = 0;
  /** The first leaf whose leaf hash is stored in `nodes`. */
  private leafNodesFrom = 0;
  private checked = 0;
  private checkpointsChecked = 0;
  private cosignaturesChecked = 0;
  private chains = 0;
  private blobs = { present: 0, erased: 0 };
  private workers = 0;
  private readonly db: DatabaseSync;

  constructor(
    private readonly ledger: Ledger,
    private readonly options: VerifyOptions,
    /** True when the scan runs in its own read transaction (workers then see the same committed log). */
    private readonly snapshot: boolean,
  ) {
    this.db = ledger.db;
  }

  report(): VerifyReport {
    return {
      ok: this.failure === undefined,
      size: this.size,
      recordsChecked: this.checked,
      checkpointsChecked: this.checkpointsChecked,
      cosignaturesChecked: this.cosignaturesChecked,
      chains: this.chains,
      blobs: this.blobs,
      workers: this.workers,
      failure: this.failure,
    };
  }

  async run(): Promise<void> {
    this.checkTriggers();
    const checkpoints = new StoredCheckpoints(this.db, this.options.fromCheckpoint ?? 0);
    this.size = (this.db.prepare(`SELECT count(*) AS n FROM ${LOG_ROWS}`).get() as { n: number }).n;
    this.leafNodesFrom = storedLeafNodesFrom(this.db);
    if (this.options.range !== undefined) return await this.runRange(this.options.range, checkpoints);
    const start = this.options.fromCheckpoint ?? 0;
    const chain = await this.keyChain(start);
    const mh = new MerkleHasher(this.ledger.hasher);
    const nodes = new CheckingNodeStore(this.db, mh, start, this.leafNodesFrom);
    const tree = start === 0 ? new MerkleTree(mh, nodes, 0) : this.trustedTree(mh, nodes, start, checkpoints);
    const tracker = new ChainTracker(this.ledger.meta.alg, start > 0);
    const resumeChain = this.db.prepare(CHAIN_LINK_SQL);
    await this.checkCheckpointsAt(tree, checkpoints, chain);
    const scan: OrderedScan = { start, tree, tracker, chain, checkpoints, resumeChain };
    const source = await this.chunkSource(this.size - start);
    this.workers = source.workers;
    try {
      for await (const chunk of source.chunks(start, this.size, start === 0)) {
        await this.acceptChunk(chunk, scan);
      }
    } finally {
      source.close();
    }
    this.options.onProgress?.(this.checked, this.size - start);
    this.chains = tracker.chainCount;
    this.checkNothingBeyond(tree.size, checkpoints);
    this.checkSignerKey(chain);
    if (start === 0) {
      this.checkNoBloomBeyond();
      this.checkHeads(tracker);
    }
    this.checkBlobs();
    await this.checkCosignatures();
  }

  /**
   * The sequential checks of a checked chunk, leaf by leaf: each chain's first link in the chunk,
   * the Merkle tree and its nodes, key rotations and checkpoints; then the chunk's own failure.
   */
  private async acceptChunk(chunk: ChunkResult, scan: OrderedScan): Promise<void> {
    const { start, tree, tracker, chain, checkpoints, resumeChain } = scan;
    let span = 0;
    let rotation = 0;
    for (let i = 0; i < chunk.count; i++) {
      const leaf = chunk.from + i;
      const first = chunk.spans[span];
      if (first?.firstLeaf === leaf) {
        if (start > 0 && tracker.headOf(first.first.writer_id, first.first.stream) === undefined) {
          this.expectStoredPredecessor(tracker, resumeChain, first.first);
        }
        tracker.acceptSpan(first.first, first.next, { leafIndex: leaf });
        span++;
      }
      tree.appendEntry(chunk.digests.subarray(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES));
      if (chunk.rotations[rotation]?.leaf === leaf) {
        await this.applyRotation(chain, chunk.rotations[rotation].record, leaf);
        rotation++;
      }
      this.checked++;
      await this.checkCheckpointsAt(tree, checkpoints, chain);
      if (this.checked % 4096 === 0) this.options.onProgress?.(this.checked, this.size - start);
    }
    if (chunk.failure !== undefined) {
      const { code, detail, where } = chunk.failure;
      throw new VerificationError(code, detail, where);
    }
  }

  /**
   * Workers when there is enough to share (two chunks or more), the scan's own connection is not
   * inside a caller's transaction, and they start; else in line.
   */
  private async chunkSource(records: number): Promise<ChunkSource> {
    const context = this.recordContext();
    const workers = this.options.workers ?? defaultWorkers();
    if (workers > 1 && records >= 2 * CHUNK_LEAVES && this.snapshot) {
      try {
        return await WorkerChunks.start(this.ledger.paths.db, context, workers);
      } catch {
        // no workers here (a runtime without them, or the file cannot be opened twice): check in line
      }
    }
    return inlineChunks(this.db, context);
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
    const resumeChain = this.db.prepare(CHAIN_LINK_SQL);
    const rows = recordRows(this.db);
    const bodies = new StoredBodies(this.db);
    const context = this.recordContext();
    let expected = from;
    for (const row of rows(from, to)) {
      const leaf = row[0];
      checkNextLeaf(leaf, expected);
      const sealed = checkStoredRow(row, context, bodies);
      if (tracker.headOf(sealed.record.writer_id, sealed.record.stream) === undefined) {
        this.expectStoredPredecessor(tracker, resumeChain, sealed.record);
      }
      tracker.accept(sealed, { leafIndex: leaf });
      try {
        verifyInclusion(
          mh,
          leaf,
          signed.size,
          mh.leaf(sealed.digest),
          this.ledger.inclusionProof(leaf, signed.size),
          signed.root,
        );
      } catch (error) {
        if (!(error instanceof SecuraMemError)) throw error;
        const sibling = leaf % 2 === 0 ? leaf + 1 : leaf - 1;
        const suspects = sibling < this.leafNodesFrom
          ? `this record or leaf ${sibling}`
          : "this record or a stored Merkle node on its path";
        throw new VerificationError(
          error.code,
          `leaf's proof does not reach the signed root (${suspects} was altered): ${error.detail}`,
          { leafIndex: leaf },
        );
      }
      expected++;
      this.checked++;
      if (this.checked % 4096 === 0) this.options.onProgress?.(this.checked, to - from);
    }
    if (expected !== to) throw fail("LEAF_GAP", "missing from the log", expected);
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
      `SELECT leaf, body FROM ${LOG_ROWS} WHERE stream = ? AND kind = ? AND leaf < ? ORDER BY leaf`,
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

  private recordContext(): RecordContext {
    return { hasher: this.ledger.hasher, alg: this.ledger.meta.alg, bounds: this.ledger.meta.bounds };
  }

  private expectStoredPredecessor(tracker: ChainTracker, resume: StatementSync, record: ChainLink): void {
    const { writer_id, stream, seq } = record;
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
    const expected = storedNodeCount(size, this.leafNodesFrom);
    if (nodes.n !== expected || (nodes.top !== null && nodes.top >= nodeId(0, size))) {
      throw new VerificationError(
        "NODE_MISMATCH",
        `${nodes.n} Merkle nodes are stored; ${size} records make ${expected}`,
        { leafIndex: size },
      );
    }
  }

  /** No subject filter lies beyond the log (the chunks compared every block within it). */
  private checkNoBloomBeyond(): void {
    const top =
      (this.db.prepare("SELECT max(block) AS top FROM subject_blooms").get() as { top: number | null }).top;
    if (top !== null && top * BLOCK_LEAVES >= this.size) {
      throw fail(
        "INDEX_MISMATCH",
        `a subject filter is stored for block ${top}, beyond the log`,
        top * BLOCK_LEAVES,
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
    if (tracker.chainCount !== rows.length) {
      throw new VerificationError(
        "HEAD_MISMATCH",
        `${tracker.chainCount} chains in the records, ${rows.length} heads stored`,
      );
    }
  }

  /** Every stored witness cosignature verifies, with its stored key, over its stored checkpoint. */
  private async checkCosignatures(): Promise<void> {
    const noteAt = this.db.prepare("SELECT note FROM checkpoints WHERE size = ?");
    const witnesses = new Map<string, Promise<NoteVerifier>>();
    const witnessOf = (key: string) => {
      if (!witnesses.has(key)) witnesses.set(key, parseCosignerVerifierKey(key));
      return witnesses.get(key)!;
    };
    for (const stored of new CosignatureStore(this.db).all()) {
      const own = noteAt.get(stored.size) as { note: string } | undefined;
      await checkStoredCosignature(stored, own?.note, witnessOf);
      this.cosignaturesChecked++;
    }
  }

  private checkBlobs(): void {
    const hasher = this.ledger.hasher;
    const erasedBy = this.db.prepare(`SELECT body FROM ${LOG_ROWS} WHERE leaf = ?`);
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
 * Compares every node the rebuilt tree completes with the stored one, instead of storing it: the
 * interior nodes, and the leaf hashes from `leaf_nodes_from` on. A mismatch is located at the leaf
 * whose append completed the node.
 */
class CheckingNodeStore implements NodeStore {
  private readonly stored: SqliteNodeStore;
  /** Stored nodes in id order, from the first a leaf ≥ the start completes: merged with the rebuild. */
  private readonly scan: Generator<NodeRow>;
  private head: NodeRow | undefined;

  constructor(db: DatabaseSync, mh: MerkleHasher, fromLeaf: number, leafNodesFrom: number) {
    this.stored = new SqliteNodeStore(db, mh, leafNodesFrom);
    const select = returningArrays(
      db.prepare("SELECT id, hash FROM nodes WHERE id >= ? ORDER BY id LIMIT ?"),
    );
    this.scan = pagedRows<NodeRow>(select, 0, nodeId(0, fromLeaf));
    this.head = this.scan.next().value ?? undefined;
  }

  get(level: number, index: number): Uint8Array | undefined {
    return this.stored.get(level, index);
  }

  /** The rebuilt node must be the next stored one: nodes are stored in the order appends complete them. */
  put(level: number, index: number, hash: Uint8Array): void {
    if (this.stored.isDerived(level, index)) return; // derived from the self_hash just checked
    const id = nodeId(level, index);
    const leafIndex = (index + 1) * 2 ** level - 1;
    const [storedId, storedHash] = this.head ?? [];
    if (storedId !== undefined && storedId < id) {
      throw new VerificationError(
        "NODE_MISMATCH",
        `a Merkle node is stored under id ${storedId}, which no record completes`,
        { leafIndex: Math.floor(storedId / 64) },
      );
    }
    if (storedId !== id || !bytesEqual(storedHash!, hash)) {
      throw new VerificationError(
        "NODE_MISMATCH",
        `Merkle node (level ${level}, index ${index}) is ${storedId !== id ? "missing" : "wrong"}`,
        { leafIndex },
      );
    }
    this.head = this.scan.next().value ?? undefined;
  }
}

type NodeRow = [id: number, hash: Uint8Array];

/** Stored nodes of a tree of `size` leaves: complete subtrees of height ≥ 1, and the leaves from `leafNodesFrom`. */
function storedNodeCount(size: number, leafNodesFrom: number): number {
  let count = Math.max(0, size - leafNodesFrom);
  for (let width = 2; width <= size; width *= 2) count += Math.floor(size / width);
  return count;
}

function isTombstoneOf(record: unknown, contentId: string): boolean {
  const { kind, subject } = record as { kind?: unknown; subject?: { content_id?: unknown } };
  return kind === BLOB_ERASED_KIND && subject?.content_id === contentId;
}

/** One worker per core, at most 8. */
function defaultWorkers(): number {
  return Math.min(8, Math.max(1, navigator.hardwareConcurrency ?? 1));
}

function fail(code: string, message: string, leafIndex: number): VerificationError {
  return new VerificationError(code, message, { leafIndex });
}

function storedLeafNodesFrom(db: DatabaseSync): number {
  try {
    return readLeafNodesFrom(db);
  } catch (error) {
    if (!(error instanceof SecuraMemError)) throw error;
    throw new VerificationError("NODE_MISMATCH", error.detail);
  }
}

function databaseFailure(error: unknown): VerificationError {
  const message = error instanceof Error ? error.message : String(error);
  return new VerificationError("DATABASE_CORRUPT", `the database cannot be read: ${message.split("\n")[0]}`);
}
