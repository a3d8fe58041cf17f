/**
 * The log's unindexed tail. A small commit stores its records in `recent`, a table with the shape
 * of `records` and no secondary index, so a single durable append writes its record into one page
 * instead of six (the row and five index entries). A later commit — the first one that would
 * take `recent` past RECENT_LIMIT rows, any large batch, or closing a ledger that appended — moves them into
 * `records` in its own transaction; between appends an idle ledger moves the oldest rows a few at a
 * time (TIDY_AT). Each row sits in exactly one of the two tables, and `recent`
 * holds only the newest leaves, so `LOG_ROWS` reads the whole log in leaf order.
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";

/** The columns of a stored record (as schema 3 left them), in table order, with their types. */
const RECORD_COLUMN_TYPES: readonly (readonly [name: string, type: string])[] = [
  ["leaf", "INTEGER PRIMARY KEY"],
  ["body", "BLOB NOT NULL"],
  ["self_hash", "BLOB NOT NULL"],
  ["writer_id", "TEXT NOT NULL"],
  ["stream", "TEXT NOT NULL"],
  ["seq", "INTEGER NOT NULL"],
  ["ts_ms", "INTEGER NOT NULL"],
  ["kind", "TEXT NOT NULL"],
  ["actor_key", "TEXT"],
  ["subject_tag", "INTEGER"],
];

/** The columns of a stored record, in table order. */
export const RECORD_COLUMNS = RECORD_COLUMN_TYPES.map(([name]) => name).join(", ");

/** Inserts one record, its columns in table order, into `table`. */
export function insertRecordSql(table: RecordTable): string {
  return `INSERT INTO ${table} (${RECORD_COLUMNS}) VALUES (${RECORD_COLUMN_TYPES.map(() => "?").join(", ")})`;
}

/**
 * Every stored record: a subquery to select from. SQLite pushes a query's conditions into both
 * sides and merges them in leaf order, using `records`' indexes for its side.
 */
export const LOG_ROWS =
  `(SELECT ${RECORD_COLUMNS} FROM records UNION ALL SELECT ${RECORD_COLUMNS} FROM recent)`;

/** The log size: one past the largest stored leaf in either table. */
export const LOG_SIZE_SQL =
  "SELECT max(leaf) + 1 AS size FROM (SELECT max(leaf) AS leaf FROM records UNION ALL SELECT max(leaf) FROM recent)";

/**
 * Most rows `recent` holds. A move is one commit of ~1.2 MB (~12 ms on the bench disk): it must be
 * rarer than 1 append in 100 to stay out of the p99, and small enough to keep the p99.9 and a busy
 * group commit's p99 low (1,024 rows: 15–35 ms moves, p99.9 24–27 ms). An unindexed query reads at
 * most this many rows of the tail.
 */
export const RECENT_LIMIT = 512;

/**
 * An idle ledger (no commit waiting) whose tail holds this many rows moves its oldest TIDY_ROWS
 * into `records` in a commit of their own, between appends rather than inside one, so a steady
 * trickle of appends (a server) rarely meets a whole-tail move.
 */
export const TIDY_AT = 64;

/** Rows one idle move takes. */
export const TIDY_ROWS = 32;

/** Largest commit stored in `recent`; larger batches amortize their index pages themselves. */
export const RECENT_BATCH = 32;

/** Schema 5's table: the columns of `records`, no index but its rowid. */
export const RECENT_TABLE_SQL = `CREATE TABLE recent (${
  RECORD_COLUMN_TYPES.map(([name, type]) => `${name} ${type}`).join(", ")
});`;

/** Its guards: no update, and a row may leave only once `records` holds the same bytes. */
export const RECENT_GUARDS_SQL = `
CREATE TRIGGER recent_no_update BEFORE UPDATE ON recent
  BEGIN SELECT RAISE(ABORT, 'recent rows are append-only'); END;
CREATE TRIGGER recent_no_delete BEFORE DELETE ON recent
  WHEN NOT EXISTS (SELECT 1 FROM records WHERE leaf = OLD.leaf AND body = OLD.body)
  BEGIN SELECT RAISE(ABORT, 'recent rows leave only into records'); END;`;

/** Which table a commit stores its records in. */
export type RecordTable = "records" | "recent";

/**
 * Decides where a commit's records go and moves the tail into `records` when it must. It remembers
 * the tail's first leaf between calls; the ledger calls `forget` whenever the database may hold
 * something else (a rollback, another connection's commit).
 */
export class RecentRows {
  private readonly first: StatementSync;
  private readonly copy: StatementSync;
  private readonly clear: StatementSync;
  private readonly copyBelow: StatementSync;
  private readonly clearBelow: StatementSync;
  /** The smallest leaf in `recent`: null when it is empty, undefined when not known. */
  private firstLeaf: number | null | undefined;

  constructor(db: DatabaseSync) {
    this.first = db.prepare("SELECT min(leaf) AS leaf FROM recent");
    this.copy = db.prepare(`INSERT INTO records (${RECORD_COLUMNS}) SELECT ${RECORD_COLUMNS} FROM recent`);
    this.clear = db.prepare("DELETE FROM recent");
    this.copyBelow = db.prepare(
      `INSERT INTO records (${RECORD_COLUMNS}) SELECT ${RECORD_COLUMNS} FROM recent WHERE leaf < ? ORDER BY leaf`,
    );
    this.clearBelow = db.prepare("DELETE FROM recent WHERE leaf < ?");
  }

  /** Whether `recent` holds any row. */
  hasRows(): boolean {
    return this.firstStored() !== null;
  }

  /** How many rows `recent` holds in a log of `size` records. */
  count(size: number): number {
    const first = this.firstStored();
    return first === null ? 0 : size - first;
  }

  /** Tells it a record of leaf `leaf` was just stored in `recent`. */
  added(leaf: number): void {
    if (this.firstStored() === null) this.firstLeaf = leaf;
  }

  /** Drops what it remembers; the next call reads the table. */
  forget(): void {
    this.firstLeaf = undefined;
  }

  /**
   * The table for a commit of up to `drafts` records on a log of `size`: `recent` for a small one,
   * `records` for a batch. The tail is moved first (in the caller's transaction) when it would
   * overflow or a batch follows it, so `recent` always holds the newest leaves.
   */
  tableFor(drafts: number, size: number): RecordTable {
    const held = this.count(size);
    const small = drafts <= RECENT_BATCH;
    if (held > 0 && (!small || held + drafts > RECENT_LIMIT)) this.moveAll();
    return small ? "recent" : "records";
  }

  /**
   * Moves the oldest `rows` rows of `recent` into `records` (inside the caller's transaction);
   * what stays is still the newest leaves.
   */
  moveOldest(rows: number): void {
    const first = this.firstStored();
    if (first === null) return;
    this.copyBelow.run(first + rows);
    this.clearBelow.run(first + rows);
    this.firstLeaf = undefined;
  }

  /** Moves every row of `recent` into `records` (inside the caller's transaction). */
  moveAll(): void {
    this.copy.run();
    this.clear.run();
    this.firstLeaf = null;
  }

  private firstStored(): number | null {
    if (this.firstLeaf === undefined) this.firstLeaf = (this.first.get() as { leaf: number | null }).leaf;
    return this.firstLeaf;
  }
}
