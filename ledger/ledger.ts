/**
 * The durable ledger: the pure core wrapped around an embedded SQLite database (`node:sqlite`).
 * An append is one `BEGIN IMMEDIATE` transaction that assigns seq/prev per chain and the leaf
 * index, hashes, extends the Merkle tree, stores a checkpoint signed over the new tree and
 * commits; when it returns, the records and their checkpoint are durable.
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { DEFAULT_BOUNDS, type RecordBounds } from "../core/canonical.ts";
import { type Checkpoint, parseCheckpoint, signCheckpoint } from "../core/checkpoint.ts";
import { formatCheckpointExtension } from "../core/checkpoint_extension.ts";
import { ProofError, relocate, SecuraMemError } from "../core/errors.ts";
import { fromUtf8 } from "../core/encoding.ts";
import { formatHash, genesisHash, type HashAlg, type Hasher, isHashAlg } from "../core/hash.ts";
import type { JsonObject } from "../core/json.ts";
import { readJsonText } from "../core/json_reader.ts";
import { signRotation } from "../core/rotation.ts";
import { generateKeyPair, type NoteSigner, type NoteVerifier, parseSignerKey } from "../core/keys.ts";
import { MerkleHasher } from "../core/merkle_hasher.ts";
import { MerkleTree } from "../core/merkle_tree.ts";
import { formatReceipts } from "../core/receipt.ts";
import { type ChainHead, type DraftDefaults, type RecordDraft, sealRecord } from "../core/record.ts";
import { loadHasher } from "../wasm/hasher.ts";
import { BLOB_ERASED_KIND, type BlobInfo, BlobStore, RETENTION_STREAM } from "./blobs.ts";
import {
  chainKey,
  ChainSealer,
  chainsOf,
  type SealContext,
  type SealOutcome,
  splitChainKey,
} from "./chain_sealer.ts";
import { type QueryFilter, type QueryPage, queryRecords } from "./query.ts";
import { LedgerError, VerificationError } from "./errors.ts";
import { sqliteError } from "./sqlite_errors.ts";
import {
  ensureDir,
  exists,
  type LedgerPaths,
  ledgerPaths,
  readSecretBytes,
  removeQuietly,
  replaceFile,
  writeSecretFile,
} from "./files.ts";
import {
  askOnce,
  type KeyEncryption,
  type Passphrase,
  readSignerKeyFile,
  signerKeyFileText,
  type SignerKeyState,
} from "./signer_key_file.ts";
import {
  type AddedCosignature,
  checkCosignedNote,
  CosignatureStore,
  cosignedNoteOf,
  type StoredCosignature,
  type WitnessesRequired,
} from "./cosignatures.ts";
import { ForeignCommits } from "./foreign_commits.ts";
import { GroupCommitQueue } from "./group_commit.ts";
import { KEY_ROTATED_KIND, KEYS_STREAM } from "./key_records.ts";
import { Mutex } from "./mutex.ts";
import { pagedRows, returningArrays } from "./paged.ts";
import { SubjectBloomStore } from "./subject_bloom.ts";
import { readLeafNodesFrom, SqliteNodeStore } from "./node_store.ts";
import { SealWorker } from "./seal_pool.ts";
import { checkLedgerFile } from "./ledger_file.ts";
import { migrate, PAGE_SIZE } from "./schema.ts";
import {
  insertRecordSql,
  LOG_ROWS,
  LOG_SIZE_SQL,
  RecentRows,
  type RecordTable,
  TIDY_AT,
  TIDY_ROWS,
} from "./recent.ts";
import { NewestCommit } from "./newest_commit.ts";

export { KEY_ROTATED_KIND, KEYS_STREAM } from "./key_records.ts";

/** How hard a commit waits for the disk. */
export type Durability = "full" | "normal";

/** Options of `Ledger.create`. */
export interface CreateLedgerOptions {
  /** Hash algorithm, fixed for the ledger's life. @default "b3" */
  readonly alg?: HashAlg;
  /** First part of the origin `<name>/<ledger id>`. @default "securamem" */
  readonly name?: string;
  /** An existing signer key text to import (e.g. from Go's `note.GenerateKey`); else one is generated. */
  readonly signerKey?: string;
  /** Store the signer key encrypted with this passphrase (an age file, docs/FORMAT.md §5). */
  readonly encryptKey?: KeyEncryption;
  /** Record size bounds, fixed for the ledger's life. @default DEFAULT_BOUNDS */
  readonly bounds?: RecordBounds;
}

/** Options of `Ledger.open` (and `Ledger.create`). */
export interface OpenLedgerOptions {
  /**
   * `"full"`: WAL + synchronous=FULL, each commit reaches the disk before it returns.
   * `"normal"`: WAL + synchronous=NORMAL, survives a process kill but not an OS crash or power loss.
   * @default "full"
   */
  readonly durability?: Durability;
  /** `writer_id` for drafts that name none. @default "securamem@local" */
  readonly writerId?: string;
  /** Clock for absent `ts_ms`, milliseconds. @default Date.now */
  readonly clock?: () => number;
  /** Milliseconds to wait for another process's write lock. @default 10000 */
  readonly busyTimeoutMs?: number;
  /**
   * Opens an encrypted `signer.key` (asked only when the file is encrypted). Without it an
   * encrypted key stays locked: the ledger reads, proves and verifies, and signing is `KEY_LOCKED`.
   */
  readonly passphrase?: Passphrase;
  /** Told of every transaction this handle commits, after it reached the disk (for metrics); must not throw. */
  readonly onCommit?: (commit: CommitReport) => void;
  /**
   * Seal batches of SEAL_WORKER_MIN drafts or more in a worker (canonical form and hashing) while
   * this thread stores the chunk sealed before. Results are the same either way.
   * @default true
   */
  readonly sealWorker?: boolean;
}

/** The smallest batch (drafts in one transaction) sealed in the seal worker; smaller ones are sealed in line. */
export const SEAL_WORKER_MIN = 128;

/** What one committed transaction added. */
export interface CommitReport {
  /** The records it appended (replays are not appended again). */
  readonly records: readonly { readonly stream: string; readonly kind: string; readonly bytes: number }[];
  /** Tree size of the checkpoint it signed, if it signed one. */
  readonly checkpointSize?: number;
  /** How many of its drafts the seal worker sealed (the rest were sealed in line). */
  readonly sealedInWorker: number;
}

/** What an append returns for each draft. */
export interface AppendResult {
  /** Leaf index of the record. */
  readonly index: number;
  readonly writerId: string;
  readonly stream: string;
  readonly seq: number;
  readonly selfHash: string;
  /** True when the draft replayed a record already stored (idempotent retry). */
  readonly replayed: boolean;
  /** Tree size of the signed checkpoint that covers the record. */
  readonly checkpointSize: number;
}

/** A stored record. */
export interface StoredRecord {
  readonly index: number;
  /** Canonical text without `self_hash`, exactly as stored. */
  readonly text: string;
  readonly selfHash: string;
}

/** A stored checkpoint. */
export interface StoredCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly note: string;
}

/** Ledger metadata, fixed at creation. */
export interface LedgerMeta {
  readonly origin: string;
  readonly ledgerId: string;
  readonly alg: HashAlg;
  readonly bounds: RecordBounds;
  readonly createdMs: number;
}

/** One ledger directory, open for reading and appending. */
export class Ledger {
  private readonly mutex = new Mutex();
  private readonly mh: MerkleHasher;
  private readonly nodes: SqliteNodeStore;
  private tree: MerkleTree;
  /** Set when the stored records outrun their Merkle nodes (rows added outside SecuraMem): writes refuse. */
  private damage: VerificationError | undefined;
  private readonly statements: Statements;
  private readonly blobs: BlobStore;
  private readonly blooms: SubjectBloomStore;
  private readonly recent: RecentRows;
  private readonly foreign: ForeignCommits;
  private readonly witnessCosignatures: CosignatureStore;
  /**
   * Chain heads as stored (or as the open transaction leaves them), by `chainKey`; dropped with
   * everything else a writer remembers when another connection commits or a write rolls back.
   */
  private readonly heads = new Map<string, ChainHead>();
  /** Appends waiting for the next group commit. */
  private readonly queue = new GroupCommitQueue<AppendResult>(
    (drafts) => this.mutex.run(() => this.transaction(() => this.appendInTransaction(drafts))),
    () => this.tidyTail(),
  );
  /** What the open transaction has added so far, reported once it commits. */
  private uncommitted: {
    records: CommitReport["records"][number][];
    checkpointSize?: number;
    sealedInWorker: number;
  } = { records: [], sealedInWorker: 0 };
  /** Extra signers of the next checkpoint (the retiring key, during a rotation). */
  private cosigners: NoteSigner[] = [];
  /** The signer, when `signer.key` is present and open. */
  private signer: NoteSigner | undefined;
  /** The public half of the current signer key (from the database when the key is locked). */
  private currentVerifierKey: string | undefined;
  /**
   * Why the loaded signer key may not sign: it is not the log's newest key (a retired key put back
   * as `signer.key`, a foreign key, or a rotation committed by another process since this opened).
   * Its checkpoints would verify with no key chain the log has, so signing is refused.
   */
  private signerNotCurrent: LedgerError | undefined;
  /** How `signer.key` is encrypted, when it is (a rotated key is encrypted the same way). */
  private keyEncryption: KeyEncryption | undefined;
  /** True when `signer.key` is encrypted and no passphrase was given. */
  readonly keyLocked: boolean;
  /** Whether this ledger has committed records since it was opened. */
  private appended = false;
  /** The records and checkpoint of this ledger's newest commit, for its receipts. */
  private readonly newest = new NewestCommit();
  /** Started by the first large batch; `"unavailable"` when it could not start. */
  private sealWorker: SealWorker | "unavailable" | undefined;

  private constructor(
    readonly paths: LedgerPaths,
    readonly db: DatabaseSync,
    readonly meta: LedgerMeta,
    readonly hasher: Hasher,
    key: SignerKeyState,
    private readonly options:
      & Required<Omit<OpenLedgerOptions, "busyTimeoutMs" | "onCommit" | "passphrase">>
      & Pick<OpenLedgerOptions, "onCommit">,
  ) {
    this.mh = new MerkleHasher(hasher);
    this.nodes = new SqliteNodeStore(db, this.mh, readLeafNodesFrom(db));
    this.statements = prepareStatements(db);
    this.blobs = new BlobStore(db, hasher);
    this.blooms = new SubjectBloomStore(db);
    this.recent = new RecentRows(db);
    this.foreign = new ForeignCommits(db);
    this.witnessCosignatures = new CosignatureStore(db);
    this.tree = this.openTree();
    this.keyLocked = key.kind === "locked";
    if (key.kind === "open") {
      this.signer = key.key.signer;
      this.currentVerifierKey = key.key.verifierKey;
      this.keyEncryption = key.encryption;
      this.checkSignerIsCurrent(`${this.paths.signerKey} is not the log's current key`);
    } else if (key.kind === "locked") {
      this.currentVerifierKey = this.verifierKeys().at(-1);
    }
  }

  /** Creates a ledger in `dir` (made if absent) and opens it; refuses an existing ledger. */
  static async create(dir: string, options: CreateLedgerOptions & OpenLedgerOptions = {}): Promise<Ledger> {
    const paths = ledgerPaths(dir);
    ensureDir(paths.dir);
    if (exists(paths.db)) throw new LedgerError("LEDGER_EXISTS", `a ledger already exists in ${paths.dir}`);
    const alg = options.alg ?? "b3";
    const ledgerId = crypto.getRandomValues(new Uint8Array(8)).toHex();
    const origin = `${options.name ?? "securamem"}/${ledgerId}`;
    const keyText = options.signerKey ?? (await generateKeyPair(origin)).signerKey;
    const { verifierKey } = await parseSignerKey(keyText);
    if (exists(paths.signerKey)) {
      throw new LedgerError(
        "LEDGER_EXISTS",
        `${paths.signerKey} already exists; refusing to overwrite a key`,
      );
    }
    writeSecretFile(paths.signerKey, await signerKeyFileText(keyText, options.encryptKey));
    // From here on a failure (a full disk, say) removes what this call made: a ledger is created
    // whole, with its first checkpoint, or not at all, and `init` can simply be run again.
    try {
      const db = openDatabase(paths.db, options);
      try {
        writeMeta(db, {
          origin,
          ledgerId,
          alg,
          verifierKey,
          bounds: options.bounds,
          now: (options.clock ?? Date.now)(),
        });
      } finally {
        db.close();
      }
      const ledger = await Ledger.open(dir, { ...options, passphrase: options.encryptKey?.passphrase });
      await ledger.checkpoint().catch((error) => {
        ledger.close();
        throw error;
      });
      return ledger;
    } catch (error) {
      for (const path of [paths.db, `${paths.db}-wal`, `${paths.db}-shm`, paths.signerKey]) {
        removeQuietly(path);
      }
      throw error instanceof SecuraMemError ? error : sqliteError(error, paths.db);
    }
  }

  /** Opens an existing ledger; `NOT_A_LEDGER` when `dir` holds none. */
  static async open(dir: string, options: OpenLedgerOptions = {}): Promise<Ledger> {
    const paths = ledgerPaths(dir);
    if (!exists(paths.db)) {
      throw new LedgerError("NOT_A_LEDGER", `no ledger in ${paths.dir} (run init first)`);
    }
    const db = openDatabase(paths.db, options);
    try {
      const meta = readMeta(db);
      const hasher = await loadHasher(meta.alg);
      const passphrase = askOnce(options.passphrase);
      await finishRotation(db, paths, passphrase);
      const key = await readSignerKeyFile(paths.signerKey, passphrase);
      return new Ledger(paths, db, meta, hasher, key, {
        durability: options.durability ?? "full",
        writerId: options.writerId ?? "securamem@local",
        clock: options.clock ?? Date.now,
        onCommit: options.onCommit,
        sealWorker: options.sealWorker ?? true,
      });
    } catch (error) {
      db.close();
      throw error instanceof SecuraMemError ? error : sqliteError(error, paths.db);
    }
  }

  /** The verifier key text of the signer, or `undefined` when opened without its key. */
  get verifierKey(): string | undefined {
    return this.currentVerifierKey;
  }

  /** Number of records (the Merkle tree size). */
  get size(): number {
    return this.tree.size;
  }

  /**
   * Appends one draft (see `appendBatch`). Concurrent calls are group-committed: drafts that
   * arrive while a commit is under way share the next transaction, fsync and checkpoint, so many
   * writers cost one disk flush per group. A draft the ledger refuses fails only its own call.
   */
  async append(draft: RecordDraft): Promise<AppendResult> {
    return (await this.queue.submit([draft]))[0];
  }

  /**
   * Appends drafts all or none. A draft naming a (writer_id, stream, seq) already stored with
   * identical content returns the original result (`replayed`); with different content it is
   * `CONFLICT`; a seq that skips ahead is `SEQ_GAP`. A failing draft aborts the whole batch, and
   * its error names the batch item. Batches submitted concurrently share one transaction; each
   * stays all-or-none.
   */
  appendBatch(drafts: readonly RecordDraft[]): Promise<AppendResult[]> {
    return this.queue.submit(drafts);
  }

  /** True when `signer.key` is encrypted with a passphrase (whether or not it was given). */
  get keyEncrypted(): boolean {
    return this.keyLocked || this.keyEncryption !== undefined;
  }

  /** True when the signer key is loaded and is the log's current key, so appends can be covered by signed checkpoints. */
  get canSign(): boolean {
    return this.signer !== undefined && this.signerNotCurrent === undefined;
  }

  /** Throws `KEY_LOCKED`, `NO_SIGNER_KEY` or `KEY_MISMATCH` when this ledger cannot sign, naming `action`. */
  assertCanSign(action: string): void {
    this.requireSigner(action);
  }

  /** Takes and releases the write lock; throws (`LOCKED`, `READ_ONLY`, …) when the ledger is not writable. */
  probeWritable(): Promise<void> {
    return this.mutex.run(() => this.transaction(() => Promise.resolve()));
  }

  /** Signs and stores a checkpoint of the current tree if none covers it yet; returns it. */
  checkpoint(): Promise<StoredCheckpoint> {
    return this.mutex.run(() => this.transaction(() => this.checkpointInTransaction()));
  }

  /** The newest stored checkpoint, with the witnesses' cosignatures stored for it. */
  latestCheckpoint(): StoredCheckpoint {
    const row = this.statements.latestCheckpoint.get() as { note: string } | undefined;
    if (row === undefined) throw new LedgerError("NOT_A_LEDGER", "the ledger has no checkpoint");
    return this.withCosignatures(storedCheckpoint(row.note));
  }

  /** The stored checkpoint of exactly `size` leaves, if any, with its witnesses' cosignatures. */
  checkpointAt(size: number): StoredCheckpoint | undefined {
    const own = this.ownCheckpointAt(size);
    return own === undefined ? undefined : this.withCosignatures(own);
  }

  /**
   * Checks a witness's answer — a cosigned note, a checkpoint extension holding one (`smem witness
   * add-checkpoint --out`), or bare cosignature lines for the checkpoint of `size` (a C2SP
   * witness's answer) — against the checkpoint this ledger signed, and stores each witness's line.
   * `required`: every witness named must have cosigned (`"all"`), or those that did (`"present"`).
   */
  async addCosignatures(
    answer: string,
    witnesses: readonly NoteVerifier[],
    size?: number,
    required: WitnessesRequired = "all",
  ): Promise<AddedCosignature[]> {
    const ownNoteAt = (n: number) => this.ownCheckpointAt(n)?.note;
    const note = cosignedNoteOf(answer, ownNoteAt, size);
    const checked = await checkCosignedNote(note, ownNoteAt, witnesses, required);
    return await this.mutex.run(() =>
      this.transaction(() => {
        const now = this.options.clock();
        return Promise.resolve(checked.lines.map(({ witness, line, time }) => ({
          size: checked.size,
          witness: witness.name,
          time,
          stored: this.witnessCosignatures.add(checked.size, witness.text, line, now),
        })));
      })
    );
  }

  /** The witnesses' cosignatures stored for the checkpoint of `size`. */
  cosignaturesAt(size: number): StoredCosignature[] {
    return this.witnessCosignatures.at(size);
  }

  /** The largest checkpoint size a witness cosigned, if any. */
  newestCosignedSize(): number | undefined {
    return this.witnessCosignatures.newestSize();
  }

  /**
   * The size of the newest cosigned checkpoint, which must hold `leaves` leaves: evidence against it
   * carries the witness. `NOT_FOUND` when no checkpoint is cosigned or the newest is too small.
   */
  cosignedSizeReaching(leaves: number): number {
    const size = this.newestCosignedSize();
    if (size === undefined) {
      throw new LedgerError(
        "NOT_FOUND",
        "no checkpoint of this ledger is cosigned yet (smem cosignature add)",
      );
    }
    if (size < leaves) {
      throw new LedgerError(
        "NOT_FOUND",
        `the newest cosigned checkpoint (size ${size}) does not reach leaf ${leaves - 1}: ` +
          "have a witness cosign a newer one",
      );
    }
    return size;
  }

  /** The largest checkpoint size the witness of `witnessKey` (its verifier key text) cosigned, if any. */
  newestCosignedSizeOf(witnessKey: string): number | undefined {
    return this.witnessCosignatures.newestSizeOf(witnessKey);
  }

  /** Every stored witness cosignature, by checkpoint size, one at a time. */
  allCosignatures(): Generator<StoredCosignature> {
    return this.witnessCosignatures.all();
  }

  /** The record at leaf `index`. */
  record(index: number): StoredRecord {
    const kept = this.newest.record(index);
    if (kept !== undefined) return kept;
    const row = this.statements.recordAt.get(index) as
      | { body: Uint8Array; self_hash: Uint8Array }
      | undefined;
    if (row === undefined) {
      throw new LedgerError("NOT_FOUND", `no record there: the log holds ${this.size}`, {
        leafIndex: index,
      });
    }
    return { index, text: fromUtf8(row.body), selfHash: formatHash(this.meta.alg, row.self_hash) };
  }

  /** The leaf index of the record whose `self_hash` is `selfHash`, if stored. */
  indexOfHash(digest: Uint8Array): number | undefined {
    const row = this.statements.leafOfHash.get(digest) as { leaf: number } | undefined;
    return row?.leaf;
  }

  /** Inclusion proof of leaf `index` in the tree of `size` leaves. */
  inclusionProof(index: number, size: number = this.size): Uint8Array[] {
    return this.treeCovering(size).inclusionProof(index, size);
  }

  /** Consistency proof between two tree sizes. */
  consistencyProof(oldSize: number, newSize: number = this.size): Uint8Array[] {
    return this.treeCovering(newSize).consistencyProof(oldSize, newSize);
  }

  /**
   * The checkpoint extension (`core/checkpoint_extension.ts`) from `oldSize` leaves to the stored
   * checkpoint of `size` leaves, or the newest: what a holder of a checkpoint of `oldSize` checks
   * the log's growth with, and the body a C2SP witness takes.
   */
  checkpointExtension(oldSize: number, size?: number): string {
    const stored = size === undefined ? this.latestCheckpoint() : this.storedAt(size);
    const proof = this.consistencyProof(oldSize, stored.checkpoint.size);
    return formatCheckpointExtension({ oldSize, proof, checkpoint: stored.note });
  }

  /** Root of the first `size` leaves. */
  rootAt(size: number = this.size): Uint8Array {
    return this.treeCovering(size).rootAt(size);
  }

  /**
   * The receipt (SPEC §6) of leaf `index` against the stored checkpoint of `size` leaves, or the
   * newest checkpoint.
   */
  receipt(index: number, size?: number): string {
    return this.receiptsAgainst(
      [index],
      size === undefined ? this.latestCheckpoint() : this.storedAt(size),
    )[0];
  }

  /**
   * The receipts of leaves `indexes` against the stored checkpoint of `size`, with one checkpoint
   * read and the subtree hashes their proofs share computed once (a batch's receipts).
   */
  receipts(indexes: readonly number[], size: number): string[] {
    return this.receiptsAgainst(indexes, this.storedAt(size));
  }

  /** One page of records matching `filter`. */
  query(filter: QueryFilter = {}): QueryPage {
    return queryRecords(this.db, this.meta.alg, filter);
  }

  /** Stores an off-chain payload and returns its content id (for `subject.content_id`). */
  putBlob(bytes: Uint8Array): string {
    return this.blobs.put(bytes, this.options.clock());
  }

  /** The bytes of a stored payload. */
  getBlob(contentId: string): Uint8Array {
    return this.blobs.get(contentId);
  }

  /** What is known of a payload, if anything. */
  blobInfo(contentId: string): BlobInfo | undefined {
    return this.blobs.info(contentId);
  }

  /**
   * Erases a payload's bytes and appends a `BlobErased` tombstone (stream
   * `securamem.retention`, `subject.content_id`, the given reason), in one transaction.
   */
  eraseBlob(contentId: string, reason: string, actor: JsonObject = {}): Promise<AppendResult> {
    return this.mutex.run(() =>
      this.transaction(async () => {
        const info = this.blobs.info(contentId);
        if (info === undefined) throw new LedgerError("BLOB_UNKNOWN", `no blob ${contentId}`);
        if (info.erased !== undefined) {
          throw new LedgerError(
            "BLOB_ERASED",
            `blob ${contentId} was already erased (leaf ${info.erased.leaf})`,
          );
        }
        const tombstone: RecordDraft = {
          kind: BLOB_ERASED_KIND,
          stream: RETENTION_STREAM,
          actor,
          subject: { content_id: contentId },
          reason,
        };
        const [result] = await this.appendInTransaction([tombstone]);
        this.blobs.markErased(contentId, this.options.clock(), result.index);
        return result;
      })
    );
  }

  /**
   * Rotates the signing key: a new key pair; a `KeyRotated` record (stream `securamem.keys`)
   * carrying a rotation statement signed by the old and the new key (core/rotation.ts); the
   * commit's checkpoint signed by both; later checkpoints by the new key only. The new signer
   * key replaces `signer.key` after the commit; the old secret is kept in
   * `signer.key.<old key id>.old` (0600) only with `keepOld`.
   */
  rotateKey(options: { keepOld?: boolean } = {}): Promise<{ oldKey: string; newKey: string; index: number }> {
    return this.mutex.run(async () => {
      const oldSigner = this.requireSigner("rotate");
      const oldKey = this.currentVerifierKey!;
      const pair = await generateKeyPair(this.meta.origin);
      const next = await parseSignerKey(pair.signerKey);
      writeSecretFile(
        `${this.paths.signerKey}.next`,
        await signerKeyFileText(pair.signerKey, this.keyEncryption),
      );
      const result = await this.transaction(async () => {
        this.requireSigner("rotate"); // again under the write lock: another process may have rotated
        const index = this.tree.size;
        const statement = await signRotation(
          { origin: this.meta.origin, leaf: index, oldKey, newKey: next.verifierKey },
          oldSigner,
          next.signer,
        );
        const now = this.options.clock();
        this.db.prepare("UPDATE keys SET retired_ms = ? WHERE verifier_key = ?").run(now, oldKey);
        this.db.prepare("INSERT INTO keys (verifier_key, added_ms) VALUES (?, ?)").run(next.verifierKey, now);
        this.signer = next.signer;
        this.cosigners = [oldSigner];
        try {
          const draft: RecordDraft = {
            kind: KEY_ROTATED_KIND,
            stream: KEYS_STREAM,
            subject: { name: this.meta.origin },
            attrs: { rotation: statement },
          };
          const [appended] = await this.appendInTransaction([draft]);
          return { oldKey, newKey: next.verifierKey, index: appended.index };
        } catch (error) {
          this.signer = oldSigner;
          throw error;
        } finally {
          this.cosigners = [];
        }
      }).catch(async (error) => {
        this.signer = oldSigner;
        await Deno.remove(`${this.paths.signerKey}.next`).catch(() => {});
        throw error;
      });
      if (options.keepOld === true) {
        writeSecretFile(
          `${this.paths.signerKey}.${oldSigner.keyId.toString(16).padStart(8, "0")}.old`,
          readSecretBytes(this.paths.signerKey)!,
        );
      }
      Deno.renameSync(`${this.paths.signerKey}.next`, this.paths.signerKey);
      this.currentVerifierKey = next.verifierKey;
      return result;
    });
  }

  /**
   * Rewrites `signer.key` encrypted with `encryption`'s passphrase, or in plain text when it is
   * `undefined` (whole or not at all: a synced file renamed over it). Needs the key open.
   */
  encryptKey(encryption: KeyEncryption | undefined): Promise<void> {
    return this.mutex.run(() =>
      this.transaction(async () => {
        this.requireSigner("change the key's encryption");
        // The file, not this handle's key: another process may have rotated it since this one opened.
        const state = await readSignerKeyFile(this.paths.signerKey, this.keyEncryption?.passphrase);
        if (state.kind !== "open") throw new LedgerError("NO_SIGNER_KEY", `${this.paths.signerKey} changed`);
        const text = await signerKeyFileText(state.text, encryption);
        replaceFile(this.paths.signerKey, `${text}\n`, 0o600);
        this.keyEncryption = encryption;
      })
    );
  }

  /** The signer, or `KEY_MISMATCH` / `KEY_LOCKED` / `NO_SIGNER_KEY` saying why none may `action`. */
  private requireSigner(action: string): NoteSigner {
    if (this.signerNotCurrent !== undefined) {
      throw new LedgerError(this.signerNotCurrent.code, `cannot ${action}: ${this.signerNotCurrent.detail}`);
    }
    if (this.signer !== undefined) return this.signer;
    if (this.keyLocked) {
      throw new LedgerError(
        "KEY_LOCKED",
        `cannot ${action}: ${this.paths.signerKey} is encrypted and no passphrase was given`,
      );
    }
    throw new LedgerError("NO_SIGNER_KEY", `cannot ${action}: ${this.paths.signerKey} is missing`);
  }

  /** Rotation statements in log order (the `KeyRotated` records' attrs), of leaves below `beforeLeaf`. */
  rotations(beforeLeaf: number = Number.MAX_SAFE_INTEGER): string[] {
    const rows = this.db.prepare(
      `SELECT body FROM ${LOG_ROWS} WHERE stream = ? AND kind = ? AND leaf < ? ORDER BY leaf`,
    ).all(KEYS_STREAM, KEY_ROTATED_KIND, beforeLeaf) as { body: Uint8Array }[];
    return rows.map((row) =>
      (JSON.parse(fromUtf8(row.body)) as { attrs: { rotation: string } }).attrs.rotation
    );
  }

  /** The hash of Merkle node (level, index) of the current tree. */
  nodeHash(level: number, index: number): Uint8Array {
    const hash = this.nodes.get(level, index);
    if (hash === undefined) {
      throw new LedgerError("NOT_FOUND", `no Merkle node (level ${level}, index ${index})`);
    }
    return hash;
  }

  /** Every verifier key the log has used, oldest first. */
  verifierKeys(): string[] {
    return (this.db.prepare("SELECT verifier_key FROM keys ORDER BY id").all() as { verifier_key: string }[])
      .map((row) => row.verifier_key);
  }

  /** Records with leaf index in [from, to), in order, streamed. */
  *records(from: number, to: number): Generator<StoredRecord> {
    const rows = this.db.prepare(
      `SELECT leaf, body, self_hash FROM ${LOG_ROWS} WHERE leaf >= ? AND leaf < ? ORDER BY leaf LIMIT ?`,
    );
    type Row = { leaf: number; body: Uint8Array; self_hash: Uint8Array };
    for (const row of pagedRows<Row>(rows, "leaf", from, [to])) {
      yield { index: row.leaf, text: fromUtf8(row.body), selfHash: formatHash(this.meta.alg, row.self_hash) };
    }
  }

  /** The smallest stored checkpoint size ≥ `atLeast`, if any. */
  nextCheckpointSize(atLeast: number): number | undefined {
    const row = this.db.prepare("SELECT min(size) AS size FROM checkpoints WHERE size >= ?").get(atLeast) as {
      size: number | null;
    };
    return row.size ?? undefined;
  }

  /**
   * Closes the database and stops the seal worker. When this ledger appended, the unindexed tail
   * is moved into `records` first (unless a transaction is under way); a reader never writes, and a
   * ledger busy in another process keeps its tail, which is as valid (the next commit that needs to
   * moves it). Closing again does nothing.
   */
  close(): void {
    if (this.sealWorker instanceof SealWorker) this.sealWorker.close();
    if (!this.db.isOpen) return;
    if (this.appended && !this.db.isTransaction) this.moveRecentBestEffort();
    this.db.close();
  }

  // ---- internals -------------------------------------------------------------------------------

  /**
   * While no commit waits, moves the tail's oldest rows into `records` a few at a time (see
   * TIDY_AT), each step its own short commit that never waits for another process's lock.
   */
  private tidyTail(): void {
    if (!this.db.isOpen || this.db.isTransaction) return;
    try {
      const held = this.recent.count(this.tree.size);
      if (held < TIDY_AT) return;
      const busyTimeout = (this.statements.busyTimeout.get() as { timeout: number }).timeout;
      let moved = false;
      try {
        this.db.exec("PRAGMA busy_timeout = 0");
        moved = this.commitBestEffort(() => this.recent.moveOldest(TIDY_ROWS));
      } finally {
        this.db.exec(`PRAGMA busy_timeout = ${busyTimeout}`);
      }
      if (moved && held - TIDY_ROWS >= TIDY_AT) this.queue.scheduleIdle();
    } catch {
      // Idle work runs outside any caller: a failure here must not escape, and the next append moves
      // the tail itself when it must.
    }
  }

  private moveRecentBestEffort(): void {
    try {
      if (this.recent.hasRows()) this.commitBestEffort(() => this.recent.moveAll());
    } catch {
      // Closing goes on: the next writer moves the tail.
    }
  }

  /** Runs `body` in a write transaction of its own; false (rolled back) if anything fails. */
  private commitBestEffort(body: () => void): boolean {
    try {
      this.beginWrite();
      body();
      this.db.exec("COMMIT");
      return true;
    } catch {
      this.rollbackWrite();
      return false;
    }
  }

  /**
   * The tree of the stored records. When their newest leaves lack their Merkle nodes (a database
   * altered outside SecuraMem), the ledger still opens, so `verify` can say what is wrong and
   * where, but it refuses every write with the node that is missing.
   */
  private openTree(): MerkleTree {
    try {
      return new MerkleTree(this.mh, this.nodes, this.storedSize());
    } catch (error) {
      if (!(error instanceof ProofError)) throw error;
      this.damage = new VerificationError(
        error.code,
        `${error.detail}: the log holds records SecuraMem did not append; it refuses to write (run smem verify)`,
      );
      return new MerkleTree(this.mh, this.nodes, 0);
    }
  }

  /**
   * Takes the write lock (`BEGIN IMMEDIATE`). When another connection has committed since this one
   * last wrote, what this handle remembers of the database is dropped and the tree reloaded.
   */
  private beginWrite(): void {
    if (this.damage !== undefined) throw this.damage;
    this.db.exec("BEGIN IMMEDIATE");
    if (this.foreign.noneSinceLastWrite()) return;
    this.forgetWriteState();
    this.syncTree();
    this.checkSignerIsCurrent(
      "another process rotated the signing key since this ledger was opened: reopen it",
    );
  }

  /**
   * Refuses signing (`KEY_MISMATCH`, saying `why`) unless the loaded key is the log's newest. A
   * refusal stands: a key the log has passed over never becomes its newest again.
   */
  private checkSignerIsCurrent(why: string): void {
    if (this.signer === undefined || this.signerNotCurrent !== undefined) return;
    const newest = this.statements.newestKey.get() as { verifier_key: string };
    this.signerNotCurrent = newest.verifier_key === this.currentVerifierKey ? undefined : new LedgerError(
      "KEY_MISMATCH",
      `${why} (it signs as ${this.currentVerifierKey}; the log's current key is ${newest.verifier_key})`,
    );
  }

  /**
   * Rolls back the open transaction, if any. What this handle remembers may describe the rolled-back
   * writes, so the next `beginWrite` drops it.
   */
  private rollbackWrite(): void {
    if (this.db.isTransaction) this.db.exec("ROLLBACK");
    this.foreign.forget();
  }

  private forgetWriteState(): void {
    this.heads.clear();
    this.recent.forget();
    this.blooms.forget();
  }

  /** The checkpoint of `size` as this ledger signed it, without cosignatures. */
  private ownCheckpointAt(size: number): StoredCheckpoint | undefined {
    const kept = this.newest.checkpointOf(size);
    if (kept !== undefined) return kept;
    const row = this.statements.checkpointAt.get(size) as { note: string } | undefined;
    return row === undefined ? undefined : storedCheckpoint(row.note);
  }

  private withCosignatures(stored: StoredCheckpoint): StoredCheckpoint {
    const lines = this.witnessCosignatures.linesAt(stored.checkpoint.size);
    return lines === "" ? stored : { checkpoint: stored.checkpoint, note: `${stored.note}${lines}` };
  }

  private storedAt(size: number): StoredCheckpoint {
    const stored = this.checkpointAt(size);
    if (stored === undefined) throw new LedgerError("NOT_FOUND", `no checkpoint of size ${size}`);
    return stored;
  }

  private receiptsAgainst(indexes: readonly number[], stored: StoredCheckpoint): string[] {
    const size = stored.checkpoint.size;
    const proofs = this.treeCovering(size).inclusionProofs(indexes, size);
    return formatReceipts(this.recordsAt(indexes), indexes, proofs, stored.note);
  }

  /**
   * The records at leaves `indexes`: those of the newest commit from memory, the others of a batch
   * (consecutive leaves, or nearly) in one range statement instead of a statement each.
   */
  private recordsAt(indexes: readonly number[]): StoredRecord[] {
    const kept = indexes.map((index) => this.newest.record(index));
    const read = this.readRecordRange(indexes.filter((_, i) => kept[i] === undefined));
    return kept.map((record, i) => record ?? read.get(indexes[i]) ?? this.record(indexes[i]));
  }

  /** The records at `indexes` by leaf, read in one range if they are at least half its leaves. */
  private readRecordRange(indexes: readonly number[]): Map<number, StoredRecord> {
    const read = new Map<number, StoredRecord>();
    if (indexes.length < 2) return read;
    const first = indexes.reduce((min, index) => Math.min(min, index));
    const last = indexes.reduce((max, index) => Math.max(max, index));
    if (last - first >= 2 * indexes.length) return read;
    const rows = this.statements.recordRange.all(first, last) as unknown as RecordRow[];
    for (const [leaf, body, selfHash] of rows) {
      read.set(leaf, { index: leaf, text: fromUtf8(body), selfHash: formatHash(this.meta.alg, selfHash) });
    }
    return read;
  }

  /** Runs `body` inside BEGIN IMMEDIATE … COMMIT; rolls back and resyncs the tree on failure. */
  private async transaction<T>(body: () => Promise<T>): Promise<T> {
    try {
      this.beginWrite();
    } catch (error) {
      this.rollbackWrite();
      throw error instanceof SecuraMemError ? error : sqliteError(error, this.paths.db);
    }
    this.uncommitted = { records: [], sealedInWorker: 0 };
    this.newest.begin();
    try {
      const result = await body();
      this.nodes.flush();
      this.db.exec("COMMIT");
      this.newest.commit();
      this.appended ||= this.uncommitted.records.length > 0;
      this.reportCommit(this.uncommitted);
      return result;
    } catch (error) {
      this.rollbackWrite();
      this.nodes.forget();
      this.tree = new MerkleTree(this.mh, this.nodes, this.storedSize());
      throw error instanceof SecuraMemError ? error : sqliteError(error, this.paths.db);
    }
  }

  /** Tells `onCommit` after the current call stack, so an observer cannot fail a durable commit. */
  private reportCommit(commit: CommitReport): void {
    const observer = this.options.onCommit;
    if (observer === undefined || (commit.records.length === 0 && commit.checkpointSize === undefined)) {
      return;
    }
    queueMicrotask(() => observer(commit));
  }

  /**
   * The tree, synced with the database only when it does not reach `size`: the log only grows, so
   * proofs and roots at sizes it reaches are the same after other processes append.
   */
  private treeCovering(size: number): MerkleTree {
    if (size > this.tree.size) this.syncTree();
    return this.tree;
  }

  /** Reloads the frontier when another process has appended since we last looked. */
  private syncTree(): void {
    const size = this.storedSize();
    if (size !== this.tree.size) this.tree = new MerkleTree(this.mh, this.nodes, size);
  }

  private storedSize(): number {
    const row = this.statements.size.get() as { size: number | null };
    return row.size ?? 0;
  }

  private async appendInTransaction(drafts: readonly RecordDraft[]): Promise<AppendResult[]> {
    const context: SealContext = {
      defaults: { tsMs: this.options.clock(), writerId: this.options.writerId },
      bounds: this.meta.bounds,
    };
    const batch: BatchState = {
      heads: new Map(),
      subjects: [],
      results: [],
      table: this.recent.tableFor(drafts.length, this.tree.size),
      appended: 0,
    };
    const sealer = new ChainSealer(context, this.hasher, batch.heads, (w, s) => this.readHead(w, s));
    const store = (item: number, seal: () => SealOutcome) => {
      try {
        const result = this.storeOutcome(seal(), drafts[item], context, batch);
        if (!result.replayed) batch.appended++;
        batch.results.push(result);
      } catch (error) {
        throw withItem(error, item, drafts.length);
      }
    };
    let item = 0;
    for await (const outcomes of this.sealAhead(drafts, context)) {
      for (const outcome of outcomes) store(item++, () => outcome);
      this.uncommitted.sealedInWorker += outcomes.length;
    }
    for (; item < drafts.length; item++) store(item, () => sealer.seal(drafts[item]));
    this.blooms.addAll(batch.subjects);
    if (this.heads.size + batch.heads.size > REMEMBERED_HEADS) this.heads.clear();
    for (const [key, head] of batch.heads) {
      const { writerId, stream } = splitChainKey(key);
      this.statements.upsertHead.run(writerId, stream, head.nextSeq - 1, hashDigest(head.prev));
      this.heads.set(key, head);
    }
    // Every commit stores its checkpoint, so for pure replays the newest one already covers them.
    const stored = batch.appended > 0 ? await this.checkpointInTransaction() : this.latestCheckpoint();
    const size = stored.checkpoint.size;
    return batch.results.map((result) => ({ ...result, checkpointSize: size }));
  }

  /**
   * Outcomes sealed by the worker, chunk by chunk, for a batch of SEAL_WORKER_MIN drafts or more;
   * none for a smaller batch, when a draft names no valid chain, or when the worker is unavailable.
   */
  private async *sealAhead(
    drafts: readonly RecordDraft[],
    context: SealContext,
  ): AsyncGenerator<readonly SealOutcome[]> {
    if (!this.options.sealWorker || drafts.length < SEAL_WORKER_MIN) return;
    const heads = this.storedHeads(drafts, context.defaults);
    if (heads === undefined) return;
    if (this.sealWorker !== "unavailable" && !this.sealWorker?.running) {
      this.sealWorker = await SealWorker.start().catch(() => "unavailable" as const);
    }
    if (this.sealWorker === "unavailable") return;
    yield* this.sealWorker.seal(drafts, { alg: this.meta.alg, context, heads: [...heads] });
  }

  /** The stored head of every chain the drafts name, or `undefined` when one names none validly. */
  private storedHeads(
    drafts: readonly RecordDraft[],
    defaults: DraftDefaults,
  ): Map<string, ChainHead> | undefined {
    const chains = chainsOf(drafts, defaults);
    if (chains === undefined) return undefined;
    const heads = new Map<string, ChainHead>();
    for (const [key, { writerId, stream }] of chains) heads.set(key, this.readHead(writerId, stream));
    return heads;
  }

  /** Stores a sealed draft as the next leaf, or checks a replay against the stored record. */
  private storeOutcome(
    outcome: SealOutcome,
    draft: RecordDraft,
    context: SealContext,
    batch: BatchState,
  ): Omit<AppendResult, "checkpointSize"> {
    if (outcome.replay) {
      return this.replay(draft, outcome.writerId, outcome.stream, outcome.seq, context.defaults);
    }
    const index = this.tree.size;
    this.tree.appendEntry(outcome.digest);
    const columns = outcome.columns;
    if (batch.table === "recent") this.recent.added(index);
    this.statements.insert[batch.table].run(
      index,
      outcome.bytes,
      outcome.digest,
      columns.writer_id,
      columns.stream,
      columns.seq,
      columns.ts_ms,
      columns.kind,
      columns.actor_key,
      columns.subject_tag,
    );
    batch.heads.set(chainKey(columns.writer_id, columns.stream), {
      prev: outcome.selfHash,
      nextSeq: columns.seq + 1,
    });
    if (outcome.subjectKey !== null) batch.subjects.push({ leaf: index, key: outcome.subjectKey });
    this.uncommitted.records.push({
      stream: columns.stream,
      kind: columns.kind,
      bytes: outcome.bytes.length,
    });
    this.newest.addRecord(index, outcome.bytes, outcome.selfHash);
    return {
      index,
      writerId: columns.writer_id,
      stream: columns.stream,
      seq: columns.seq,
      selfHash: outcome.selfHash,
      replayed: false,
    };
  }

  /** An idempotent retry: the same content at an existing seq returns the stored record. */
  private replay(
    draft: RecordDraft,
    writerId: string,
    stream: string,
    seq: number,
    defaults: DraftDefaults,
  ): Omit<AppendResult, "checkpointSize"> {
    const row = this.statements.recordBySeq.get(writerId, stream, seq) as
      | { leaf: number; body: Uint8Array; self_hash: Uint8Array }
      | undefined;
    const where = { writerId, stream, seq };
    if (row === undefined) {
      throw new LedgerError("CONFLICT", `seq ${seq} is below the chain head but not stored`, where);
    }
    const stored = readJsonText(fromUtf8(row.body)) as { ts_ms: number; prev: string };
    const again = sealRecord(
      draft,
      { prev: stored.prev, nextSeq: seq },
      { ...defaults, tsMs: draft.ts_ms ?? stored.ts_ms },
      this.hasher,
      this.meta.bounds,
    );
    if (again.text !== fromUtf8(row.body)) {
      throw new LedgerError("CONFLICT", `seq ${seq} is already stored with different content`, where);
    }
    return { index: row.leaf, writerId, stream, seq, selfHash: again.selfHash, replayed: true };
  }

  private readHead(writerId: string, stream: string): ChainHead {
    const remembered = this.heads.get(chainKey(writerId, stream));
    if (remembered !== undefined) return remembered;
    const row = this.statements.head.get(writerId, stream) as
      | { seq: number; self_hash: Uint8Array }
      | undefined;
    if (row === undefined) return { prev: genesisHash(this.meta.alg), nextSeq: 1 };
    return { prev: formatHash(this.meta.alg, row.self_hash), nextSeq: row.seq + 1 };
  }

  private async checkpointInTransaction(): Promise<StoredCheckpoint> {
    const size = this.tree.size;
    const existing = this.checkpointAt(size);
    if (existing !== undefined) return existing;
    const signer = this.requireSigner("sign a checkpoint");
    const checkpoint: Checkpoint = { origin: this.meta.origin, size, root: this.tree.root(), extensions: [] };
    const note = await signCheckpoint(checkpoint, [signer, ...this.cosigners]);
    this.statements.insertCheckpoint.run(size, checkpoint.root, note, this.options.clock());
    this.uncommitted.checkpointSize = size;
    this.newest.addCheckpoint({ checkpoint, note });
    return { checkpoint, note };
  }
}

/** What one transaction's appends have gathered so far. */
interface BatchState {
  /** Chain heads after the drafts stored so far, by `chainKey`. */
  readonly heads: Map<string, ChainHead>;
  readonly subjects: { leaf: number; key: string }[];
  readonly results: Omit<AppendResult, "checkpointSize">[];
  /** Where this commit stores its records. */
  readonly table: RecordTable;
  appended: number;
}

interface Statements {
  readonly size: StatementSync;
  readonly busyTimeout: StatementSync;
  readonly head: StatementSync;
  readonly upsertHead: StatementSync;
  /** Stores a record in either table. */
  readonly insert: Readonly<Record<RecordTable, StatementSync>>;
  readonly recordAt: StatementSync;
  /** Leaf, body and `self_hash` of leaves [?, ?], as arrays (`RecordRow`). */
  readonly recordRange: StatementSync;
  readonly recordBySeq: StatementSync;
  readonly leafOfHash: StatementSync;
  readonly insertCheckpoint: StatementSync;
  readonly latestCheckpoint: StatementSync;
  readonly checkpointAt: StatementSync;
  /** The log's newest verifier key: the one its next checkpoint must verify with. */
  readonly newestKey: StatementSync;
}

/** A row of `recordRange`. */
type RecordRow = [leaf: number, body: Uint8Array, selfHash: Uint8Array];

function prepareStatements(db: DatabaseSync): Statements {
  return {
    size: db.prepare(LOG_SIZE_SQL),
    busyTimeout: db.prepare("PRAGMA busy_timeout"),
    head: db.prepare("SELECT seq, self_hash FROM heads WHERE writer_id = ? AND stream = ?"),
    upsertHead: db.prepare(
      "INSERT INTO heads (writer_id, stream, seq, self_hash) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (writer_id, stream) DO UPDATE SET seq = excluded.seq, self_hash = excluded.self_hash",
    ),
    insert: {
      records: db.prepare(insertRecordSql("records")),
      recent: db.prepare(insertRecordSql("recent")),
    },
    recordAt: db.prepare(`SELECT body, self_hash FROM ${LOG_ROWS} WHERE leaf = ?`),
    recordRange: returningArrays(
      db.prepare(`SELECT leaf, body, self_hash FROM ${LOG_ROWS} WHERE leaf BETWEEN ? AND ?`),
    ),
    recordBySeq: db.prepare(
      `SELECT leaf, body, self_hash FROM ${LOG_ROWS} WHERE writer_id = ? AND stream = ? AND seq = ?`,
    ),
    leafOfHash: db.prepare(`SELECT leaf FROM ${LOG_ROWS} WHERE self_hash = ?`),
    insertCheckpoint: db.prepare(
      "INSERT INTO checkpoints (size, root, note, created_ms) VALUES (?, ?, ?, ?)",
    ),
    latestCheckpoint: db.prepare("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1"),
    checkpointAt: db.prepare("SELECT note FROM checkpoints WHERE size = ?"),
    newestKey: db.prepare("SELECT verifier_key FROM keys ORDER BY id DESC LIMIT 1"),
  };
}

/**
 * WAL pages (8 KiB) before a commit copies the WAL back into the database: SQLite's default of
 * 1,000 made every ~100th single append pay a ~5 ms checkpoint (its p99); 4,000 (a WAL of up to
 * 32 MiB) writes the pages that many commits rewrite once, for a lower p99 and rarer, longer
 * pauses (bench/RESULTS.md).
 */
const WAL_AUTOCHECKPOINT_PAGES = 4000;

/** Most chain heads a writer remembers between commits (a ledger with more chains reads the rest). */
const REMEMBERED_HEADS = 4096;

/** Opens the SQLite file with the ledger's pragmas and schema. */
function openDatabase(path: string, options: OpenLedgerOptions = {}): DatabaseSync {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
  } catch (error) {
    throw sqliteError(error, path);
  }
  try {
    db.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    checkLedgerFile(db, path);
    db.exec(`PRAGMA page_size = ${PAGE_SIZE}`); // takes effect only on a new file, before WAL
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA cache_size = -65536"); // 64 MiB: random-key index pages stay in memory
    db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.exec(`PRAGMA synchronous = ${options.durability === "normal" ? "NORMAL" : "FULL"}`);
    db.exec("PRAGMA foreign_keys = ON");
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error instanceof SecuraMemError ? error : sqliteError(error, path);
  }
}

/**
 * A rotation writes `signer.key.next` before its commit and renames it after. On open, a
 * leftover `.next` whose key the database already lists completes the rename; otherwise the
 * rotation did not commit and the file is removed.
 */
async function finishRotation(db: DatabaseSync, paths: LedgerPaths, passphrase?: Passphrase): Promise<void> {
  const next = await readSignerKeyFile(`${paths.signerKey}.next`, passphrase);
  // A locked `.next` waits for a passphrase; the database's newest key is right either way.
  if (next.kind !== "open") return;
  const { verifierKey } = next.key;
  const listed = db.prepare("SELECT 1 FROM keys WHERE verifier_key = ?").get(verifierKey) !== undefined;
  if (listed) Deno.renameSync(`${paths.signerKey}.next`, paths.signerKey);
  else Deno.removeSync(`${paths.signerKey}.next`);
}

/** What a new ledger's `meta` and `keys` tables start with. */
interface InitialMeta {
  readonly origin: string;
  readonly ledgerId: string;
  readonly alg: HashAlg;
  readonly verifierKey: string;
  readonly bounds?: RecordBounds;
  readonly now: number;
}

/** Fills a new database's `meta` and `keys` tables in one transaction. */
function writeMeta(db: DatabaseSync, initial: InitialMeta): void {
  const bounds = initial.bounds ?? DEFAULT_BOUNDS;
  db.exec("BEGIN IMMEDIATE");
  const setMeta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
  for (
    const [key, value] of Object.entries({
      format: "securamem-ledger/1",
      origin: initial.origin,
      ledger_id: initial.ledgerId,
      alg: initial.alg,
      max_record_bytes: String(bounds.maxRecordBytes),
      max_attrs_bytes: String(bounds.maxAttrsBytes),
      created_ms: String(initial.now),
    })
  ) setMeta.run(key, value);
  db.prepare("INSERT INTO keys (verifier_key, added_ms) VALUES (?, ?)").run(initial.verifierKey, initial.now);
  db.exec("COMMIT");
}

function readMeta(db: DatabaseSync): LedgerMeta {
  const rows = db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[];
  const meta = new Map(rows.map((row) => [row.key, row.value]));
  const alg = meta.get("alg") ?? "";
  const origin = meta.get("origin");
  if (!isHashAlg(alg) || origin === undefined) {
    throw new LedgerError("NOT_A_LEDGER", "ledger metadata is missing or damaged");
  }
  return {
    origin,
    ledgerId: meta.get("ledger_id") ?? "",
    alg,
    bounds: {
      maxRecordBytes: Number(meta.get("max_record_bytes") ?? DEFAULT_BOUNDS.maxRecordBytes),
      maxAttrsBytes: Number(meta.get("max_attrs_bytes") ?? DEFAULT_BOUNDS.maxAttrsBytes),
    },
    createdMs: Number(meta.get("created_ms") ?? 0),
  };
}

function storedCheckpoint(note: string): StoredCheckpoint {
  const text = note.slice(0, note.lastIndexOf("\n\n") + 1);
  return { checkpoint: parseCheckpoint(text), note };
}

function hashDigest(hash: string): Uint8Array {
  return Uint8Array.fromHex(hash.slice(hash.indexOf(":") + 1));
}

function withItem(error: unknown, item: number, count: number): unknown {
  return error instanceof SecuraMemError && count > 1 ? relocate(error, { item }) : error;
}
