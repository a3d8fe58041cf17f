/**
 * The Merkle NodeStore backed by the ledger (SPEC §4: proofs in O(log n) reads).
 *
 * Nodes live in `nodes (id, hash)` under one integer key, `nodeId`, that grows in the order nodes
 * are completed, so appends write at the end of the table's B-tree and the nodes a proof needs
 * below level 5 (its leaf's sibling and the siblings inside the same 32 leaves) sit in one or two
 * pages. Leaf hashes (level 0) are stored from leaf `leaf_nodes_from` (meta) on: 0 for ledgers
 * created with schema 4, the size at migration for older ones, whose earlier leaf hashes are
 * derived from `records.self_hash` (H(0x00 || self_hash)).
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { MerkleHasher } from "../core/merkle_hasher.ts";
import type { NodeStore } from "../core/merkle_tree.ts";
import { LedgerError } from "./errors.ts";
import { NodeCache } from "./node_cache.ts";
import { returningArrays } from "./paged.ts";

/** The meta key of the first leaf whose leaf hash is stored in `nodes`. */
export const LEAF_NODES_FROM = "leaf_nodes_from";

/** Reads `leaf_nodes_from` from the meta table; a ledger of schema 4 must have it. */
export function readLeafNodesFrom(db: DatabaseSync): number {
  const row = db.prepare("SELECT value FROM meta WHERE key = ?").get(LEAF_NODES_FROM) as
    | { value: string }
    | undefined;
  const from = Number(row?.value);
  if (row === undefined || !Number.isSafeInteger(from) || from < 0 || String(from) !== row.value) {
    throw new LedgerError("NOT_A_LEDGER", `ledger metadata ${LEAF_NODES_FROM} is missing or damaged`);
  }
  return from;
}

/** Levels a node id can encode (trees up to 2^47 leaves). */
const LEVELS = 64;

/**
 * The key of node (level, index): the index of the last leaf it covers times 64, plus its level.
 * A node is completed by appending its last leaf, so keys grow with the log.
 */
export function nodeId(level: number, index: number): number {
  return ((index + 1) * 2 ** level - 1) * LEVELS + level;
}

/** The index within its level of the node whose key is `id` (the inverse of `nodeId`). */
function nodeIndexOf(id: number): number {
  const level = id % LEVELS;
  return ((id - level) / LEVELS + 1) / 2 ** level - 1;
}

/**
 * Nodes at this level and above are cached in memory once read or written: n / 16 hashes, 20 MB
 * at 10M records (up to twice that while a level's buffer has room to grow); proofs then read only
 * their five lowest levels from SQLite.
 */
const CACHED_LEVEL = 5;

/** Most nodes one prefetch statement reads. */
const PREFETCH_MAX = 16;

/**
 * Most nodes one insert statement stores. Appends complete ~2 nodes a record; stored one statement
 * each, a 1,000-record batch made ~2,000 calls at ~2 µs each, where rows gathered into statements
 * of 32 cost ~1 µs a node (session 12, bench/RESULTS.md).
 */
const INSERT_ROWS = 32;

/**
 * Ids further apart than this start a new run of `idRuns`: 32 leaves' worth, ~64 stored nodes, so
 * a range scan reads at most that many rows it was not asked for between two it was.
 */
const RUN_GAP = 32 * LEVELS;

/** Nodes sorted by id and cut where ids are more than RUN_GAP apart. */
function idRuns(nodes: readonly [number, number][]): [number, number][][] {
  const sorted = nodes.map((node) => ({ node, id: nodeId(...node) })).sort((a, b) => a.id - b.id);
  const runs: [number, number][][] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i].id - sorted[i - 1].id > RUN_GAP) runs.push([]);
    runs[runs.length - 1].push(sorted[i].node);
  }
  return runs;
}

/** The column names of a prefetch statement. */
const COLUMNS = Array.from({ length: PREFETCH_MAX }, (_, i) => `c${i}`);

/**
 * Reads and writes nodes; derives the leaf hashes not stored from the records. Upper-level nodes, which
 * every proof reads, are cached: they never change once written (the table is append-only), and
 * a transaction that fails forgets the cache. A proof's other nodes are read in one statement
 * (`prefetch`): on a large ledger each read is a page miss, and one statement saves the others'
 * per-call overhead.
 */
export class SqliteNodeStore implements NodeStore {
  private readonly cache = new NodeCache(CACHED_LEVEL);
  /** Nodes read by the last `prefetch`, by node id. */
  private readonly prefetched = new Map<number, Uint8Array>();
  /** Prefetch statements by shape: `${leaf reads},${node reads}`. */
  private readonly prefetchStatements = new Map<string, StatementSync>();
  /** Insert statements by row count. */
  private readonly insertStatements = new Map<number, StatementSync>();
  /** Nodes put but not yet inserted: id, hash, id, hash, … */
  private readonly pending: (number | Uint8Array)[] = [];
  private readonly select: StatementSync;
  private readonly selectLeaf: StatementSync;
  private readonly selectRange: StatementSync;

  /**
   * @param leafNodesFrom the first leaf whose leaf hash is stored (`readLeafNodesFrom`); earlier
   * leaf hashes are derived from `records.self_hash`.
   */
  constructor(
    private readonly db: DatabaseSync,
    private readonly mh: MerkleHasher,
    readonly leafNodesFrom: number,
  ) {
    this.select = db.prepare("SELECT hash FROM nodes WHERE id = ?");
    this.selectLeaf = db.prepare("SELECT self_hash FROM records WHERE leaf = ?");
    this.selectRange = returningArrays(db.prepare("SELECT id, hash FROM nodes WHERE id BETWEEN ? AND ?"));
  }

  get(level: number, index: number): Uint8Array | undefined {
    this.flush();
    if (this.isDerived(level, index)) {
      const prefetched = this.prefetched.get(nodeId(0, index));
      if (prefetched !== undefined) return prefetched;
      const row = this.selectLeaf.get(index) as { self_hash: Uint8Array } | undefined;
      return row === undefined ? undefined : this.mh.leaf(row.self_hash);
    }
    const id = nodeId(level, index);
    const cached = this.cache.get(level, index) ?? this.prefetched.get(id);
    if (cached !== undefined) return cached;
    const row = this.select.get(id) as { hash: Uint8Array } | undefined;
    if (row !== undefined) this.cache.set(level, index, row.hash);
    return row?.hash;
  }

  /** Stores a node: inserted with others by the next `flush` (or read), inside the same transaction. */
  put(level: number, index: number, hash: Uint8Array): void {
    if (this.isDerived(level, index)) return;
    this.pending.push(nodeId(level, index), hash);
    this.cache.set(level, index, hash);
    if (this.pending.length === 2 * INSERT_ROWS) this.flush();
  }

  /** Inserts the nodes put since the last flush; the ledger calls it before it commits. */
  flush(): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    for (let at = 0; at < pending.length; at += 2 * INSERT_ROWS) {
      const values = pending.slice(at, at + 2 * INSERT_ROWS);
      this.insertStatement(values.length / 2).run(...values);
    }
    pending.length = 0;
  }

  /**
   * Reads the nodes not cached for the `get` calls that follow. Stored nodes close together in the
   * table (a batch of consecutive leaves' proofs) are read as ranges of ids, one statement each;
   * the rest up to PREFETCH_MAX a statement.
   */
  prefetch(nodes: readonly [number, number][]): void {
    this.flush();
    this.prefetched.clear();
    const wanted = nodes.filter(([level, index]) => !this.cache.has(level, index));
    const stored = wanted.filter(([level, index]) => !this.isDerived(level, index));
    const scattered: [number, number][] = [];
    // Fewer nodes than one statement reads (a single proof's) cannot make a run worth a range scan.
    for (const run of stored.length < PREFETCH_MAX ? [stored] : idRuns(stored)) {
      if (run.length >= PREFETCH_MAX) this.readIdRange(nodeId(...run[0]), nodeId(...run[run.length - 1]));
      else scattered.push(...run);
    }
    scattered.push(...wanted.filter(([level, index]) => this.isDerived(level, index)));
    for (let at = 0; at < scattered.length; at += PREFETCH_MAX) {
      this.readAtOnce(scattered.slice(at, at + PREFETCH_MAX));
    }
  }

  /** Drops cached and pending nodes (after a rolled-back transaction). */
  forget(): void {
    this.pending.length = 0;
    this.cache.clear();
    this.prefetched.clear();
  }

  /** True for a leaf hash that is derived from its record rather than stored. */
  isDerived(level: number, index: number): boolean {
    return level === 0 && index < this.leafNodesFrom;
  }

  /** One statement, one column a node: derived leaf hashes first, then stored nodes. */
  private readAtOnce(nodes: [number, number][]): void {
    const leaves = nodes.filter(([level, index]) => this.isDerived(level, index));
    const interior = nodes.filter(([level, index]) => !this.isDerived(level, index));
    const row = this.prefetchStatement(leaves.length, interior.length).get(
      ...leaves.map(([, index]) => index),
      ...interior.map(([level, index]) => nodeId(level, index)),
    ) as Record<string, Uint8Array | null>;
    leaves.forEach(([, index], i) => {
      const selfHash = row[COLUMNS[i]];
      if (selfHash !== null) this.prefetched.set(nodeId(0, index), this.mh.leaf(selfHash));
    });
    interior.forEach(([level, index], i) => {
      const hash = row[COLUMNS[leaves.length + i]];
      if (hash === null) return;
      if (level >= CACHED_LEVEL) this.cache.set(level, index, hash);
      else this.prefetched.set(nodeId(level, index), hash);
    });
  }

  /** Keeps every stored node whose id is in [first, last], in one range scan. */
  private readIdRange(first: number, last: number): void {
    for (const [id, hash] of this.selectRange.all(first, last) as unknown as [number, Uint8Array][]) {
      const level = id % LEVELS;
      if (level >= CACHED_LEVEL) this.cache.set(level, nodeIndexOf(id), hash);
      else this.prefetched.set(id, hash);
    }
  }

  private insertStatement(rows: number): StatementSync {
    let statement = this.insertStatements.get(rows);
    if (statement === undefined) {
      const values = Array.from({ length: rows }, () => "(?, ?)").join(", ");
      statement = this.db.prepare(`INSERT INTO nodes (id, hash) VALUES ${values}`);
      this.insertStatements.set(rows, statement);
    }
    return statement;
  }

  private prefetchStatement(leaves: number, interior: number): StatementSync {
    const shape = `${leaves},${interior}`;
    let statement = this.prefetchStatements.get(shape);
    if (statement === undefined) {
      const columns = [
        ...Array.from({ length: leaves }, () => "(SELECT self_hash FROM records WHERE leaf = ?)"),
        ...Array.from({ length: interior }, () => "(SELECT hash FROM nodes WHERE id = ?)"),
      ].map((select, i) => `${select} AS ${COLUMNS[i]}`);
      statement = this.db.prepare(`SELECT ${columns.join(", ")}`);
      this.prefetchStatements.set(shape, statement);
    }
    return statement;
  }
}
