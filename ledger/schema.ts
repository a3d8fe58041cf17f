/**
 * The ledger's SQLite schema (SPEC §8) and its forward migrations. Canonical record bytes are
 * the truth; every other column is derived from them and re-checked by `verify`. Triggers make
 * records, Merkle nodes and checkpoints append-only; verify checks the triggers are present.
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { COSIGNATURES_TABLE_SQL } from "./cosignatures.ts";
import { LedgerError } from "./errors.ts";
import { LEAF_NODES_FROM } from "./node_store.ts";
import { PAGE_ROWS, pagedRows } from "./paged.ts";
import { RECENT_GUARDS_SQL, RECENT_TABLE_SQL } from "./recent.ts";
import { SubjectBloomStore, subjectTag } from "./subject_bloom.ts";

/** Schema version this code writes (PRAGMA user_version). */
export const SCHEMA_VERSION = 6;

/** Names of the append-only guard triggers. */
export const GUARD_TRIGGERS = [
  "records_no_update",
  "records_no_delete",
  "nodes_no_update",
  "nodes_no_delete",
  "checkpoints_no_update",
  "checkpoints_no_delete",
  "recent_no_update",
  "recent_no_delete",
  "cosignatures_no_update",
  "cosignatures_no_delete",
] as const;

/** The guards of the tables schema 1 created. */
const TABLE_GUARDS_SQL = ["records", "nodes", "checkpoints"].map(guardSql).join("\n");

/** SQL that creates the append-only guard triggers. */
export const GUARDS_SQL = `${TABLE_GUARDS_SQL}\n${RECENT_GUARDS_SQL}\n${guardSql("cosignatures")}`;

const V1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE records (
  leaf        INTEGER PRIMARY KEY,
  body        BLOB NOT NULL,
  self_hash   BLOB NOT NULL,
  writer_id   TEXT NOT NULL,
  stream      TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  ts_ms       INTEGER NOT NULL,
  kind        TEXT NOT NULL,
  actor_key   TEXT,
  subject_key TEXT
);
CREATE UNIQUE INDEX records_chain ON records (writer_id, stream, seq);
CREATE INDEX records_stream ON records (stream, leaf);
CREATE INDEX records_kind ON records (kind, leaf);
CREATE INDEX records_ts ON records (ts_ms);
CREATE INDEX records_actor ON records (actor_key) WHERE actor_key IS NOT NULL;
CREATE INDEX records_subject ON records (subject_key) WHERE subject_key IS NOT NULL;
CREATE TABLE heads (
  writer_id TEXT NOT NULL,
  stream    TEXT NOT NULL,
  seq       INTEGER NOT NULL,
  self_hash BLOB NOT NULL,
  PRIMARY KEY (writer_id, stream)
) WITHOUT ROWID;
CREATE TABLE nodes (
  id   INTEGER PRIMARY KEY,
  hash BLOB NOT NULL
);
CREATE TABLE checkpoints (
  size       INTEGER PRIMARY KEY,
  root       BLOB NOT NULL,
  note       TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE keys (
  id           INTEGER PRIMARY KEY,
  verifier_key TEXT NOT NULL UNIQUE,
  added_ms     INTEGER NOT NULL,
  retired_ms   INTEGER
);
CREATE TABLE blobs (
  content_id TEXT PRIMARY KEY,
  bytes      BLOB,
  size       INTEGER NOT NULL,
  added_ms   INTEGER NOT NULL,
  erased_ms  INTEGER,
  erase_leaf INTEGER
) WITHOUT ROWID;
${TABLE_GUARDS_SQL}
`;

/** SQL that creates the two guard triggers of `table`. */
export function guardSql(table: string): string {
  return `
CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table}
  BEGIN SELECT RAISE(ABORT, '${table} are append-only'); END;
CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table}
  BEGIN SELECT RAISE(ABORT, '${table} are append-only'); END;`;
}

/**
 * Version 2 replaces the B-tree index on `subject_key` (random content ids: a page per record)
 * with per-block Bloom filters (ledger/subject_bloom.ts), built here for the records already stored.
 */
function toV2(db: DatabaseSync): void {
  db.exec(`
DROP INDEX records_subject;
CREATE TABLE subject_blooms (block INTEGER PRIMARY KEY, bits BLOB NOT NULL);`);
  const blooms = new SubjectBloomStore(db);
  let page: { leaf: number; key: string }[] = [];
  for (const entry of storedSubjectKeys(db)) {
    page.push(entry);
    if (page.length === PAGE_ROWS) {
      blooms.addAll(page);
      page = [];
    }
  }
  blooms.addAll(page);
}

/** The `subject_key` text of schema 1 and 2, row by row in leaf order. */
function* storedSubjectKeys(db: DatabaseSync): Generator<{ leaf: number; key: string }> {
  const rows = db.prepare(
    "SELECT leaf, subject_key FROM records WHERE leaf >= ? AND subject_key IS NOT NULL ORDER BY leaf LIMIT ?",
  );
  for (const row of pagedRows<{ leaf: number; subject_key: string }>(rows, "leaf", 0)) {
    yield { leaf: row.leaf, key: row.subject_key };
  }
}

/**
 * Version 3 replaces the `subject_key` text (mostly a 67-character content id) with `subject_tag`,
 * its 53-bit fingerprint: rows of 1 KiB records then fit seven to a page instead of six, and the
 * database shrinks by ~0.18× of the canonical bytes. Queries confirm the key from the bytes.
 */
function toV3(db: DatabaseSync): void {
  const guards = db.prepare(
    "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'records' ORDER BY name",
  ).all() as { name: string; sql: string }[];
  for (const { name } of guards) db.exec(`DROP TRIGGER ${name}`);
  db.exec("ALTER TABLE records ADD COLUMN subject_tag INTEGER");
  const update = db.prepare("UPDATE records SET subject_tag = ? WHERE leaf = ?");
  for (const { leaf, key } of storedSubjectKeys(db)) update.run(subjectTag(key), leaf);
  db.exec("ALTER TABLE records DROP COLUMN subject_key");
  // Only the triggers that were there: a ledger whose guards were dropped must still show it to verify.
  for (const { sql } of guards) db.exec(sql);
}

/**
 * Version 4 stores leaf hashes in `nodes` beside the interior nodes their appends complete, so a
 * proof reads its lowest levels from one or two pages and never the records table. Existing
 * records keep deriving theirs from `self_hash`: rows are stored from the current size on.
 */
function toV4(db: DatabaseSync): void {
  const size = (db.prepare("SELECT count(*) AS n FROM records").get() as { n: number }).n;
  db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)").run(LEAF_NODES_FROM, String(size));
}

/**
 * Version 5 adds `recent`, the unindexed tail of the log: small commits store their records there
 * and a later commit moves them into `records` (ledger/recent.ts), so a single durable append
 * writes no index page. Its guards refuse updates, and deletes of rows `records` does not hold.
 */
function toV5(db: DatabaseSync): void {
  db.exec(`${RECENT_TABLE_SQL}\n${RECENT_GUARDS_SQL}`);
}

/**
 * Version 6 adds `cosignatures`: witnesses' cosignatures of stored checkpoints (ledger/cosignatures.ts),
 * append-only like the checkpoints they sign.
 */
function toV6(db: DatabaseSync): void {
  db.exec(`${COSIGNATURES_TABLE_SQL}\n${guardSql("cosignatures")}`);
}

/** Forward migrations: index i upgrades version i to version i + 1. */
const MIGRATIONS: readonly ((db: DatabaseSync) => void)[] = [
  (db) => db.exec(V1),
  toV2,
  toV3,
  toV4,
  toV5,
  toV6,
];

/** Page size of new ledgers: 8 KiB. 4 KiB pages leave ~20% slack around 1 KiB records; 16 KiB pages save ~0.1× of size but double the bytes each single durable commit writes. */
export const PAGE_SIZE = 8192;

/** Brings the schema to SCHEMA_VERSION inside one transaction; refuses a newer schema. */
export function migrate(db: DatabaseSync): void {
  const version = Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
  if (version > SCHEMA_VERSION) {
    throw new LedgerError(
      "SCHEMA_TOO_NEW",
      `ledger schema ${version} is newer than this SecuraMem (${SCHEMA_VERSION})`,
    );
  }
  if (version === SCHEMA_VERSION) return;
  db.exec("BEGIN IMMEDIATE");
  try {
    for (let v = version; v < SCHEMA_VERSION; v++) MIGRATIONS[v](db);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (error) {
    // A COMMIT that failed (a full disk) may have rolled back already.
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
