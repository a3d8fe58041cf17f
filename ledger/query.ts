/**
 * Queries over the index columns, paginated by leaf index (a stable cursor: leaves never move).
 * @module
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { fromUtf8 } from "../core/encoding.ts";
import { formatHash, type HashAlg } from "../core/hash.ts";
import { LedgerError } from "./errors.ts";
import { LOG_ROWS } from "./recent.ts";
import type { StoredRecord } from "./ledger.ts";
import { BLOCK_LEAVES, blockOf, SubjectBloomStore, subjectTag } from "./subject_bloom.ts";
import { subjectKey } from "./columns.ts";
import type { JsonObject } from "../core/json.ts";

/** Filters of a query; all given filters must hold. */
export interface QueryFilter {
  readonly stream?: string;
  readonly writerId?: string;
  readonly kind?: string;
  /** Matches the record's `actor_key` (actor.user_id, username, key_fpr, cap_id or role). */
  readonly actor?: string;
  /** Matches the record's subject key (subject.content_id, name, model or tool). */
  readonly subject?: string;
  /** `ts_ms` ≥ this. */
  readonly fromTs?: number;
  /** `ts_ms` < this. */
  readonly toTs?: number;
  /** Leaf index ≥ this. */
  readonly fromIndex?: number;
  /** Leaf index < this. */
  readonly toIndex?: number;
  /** Page size. @default 100 */
  readonly limit?: number;
  /** Continue after this leaf index (the `next` of the previous page). */
  readonly after?: number;
}

/** One page of results. */
export interface QueryPage {
  readonly records: StoredRecord[];
  /** Pass as `after` for the next page; absent on the last page. */
  readonly next?: number;
}

/** Largest page. */
export const MAX_PAGE = 10_000;

/** Runs a query. */
export function queryRecords(db: DatabaseSync, alg: HashAlg, filter: QueryFilter): QueryPage {
  const limit = filter.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new LedgerError("BAD_QUERY", `limit must be 1…${MAX_PAGE}`);
  }
  const clauses: string[] = [];
  const params: SQLInputValue[] = [];
  const add = (sql: string, value: SQLInputValue | undefined) => {
    if (value === undefined) return;
    clauses.push(sql);
    params.push(value);
  };
  add("stream = ?", filter.stream);
  add("writer_id = ?", filter.writerId);
  add("kind = ?", filter.kind);
  add("actor_key = ?", filter.actor);
  add("subject_tag = ?", filter.subject === undefined ? undefined : subjectTag(filter.subject));
  add("ts_ms >= ?", filter.fromTs);
  add("ts_ms < ?", filter.toTs);
  add("leaf >= ?", filter.fromIndex);
  add("leaf < ?", filter.toIndex);
  add("leaf > ?", filter.after);
  const where = clauses.length === 0 ? "" : `WHERE ${clauses.join(" AND ")}`;
  const rows = filter.subject === undefined
    ? selectRows(db, where, params, limit + 1)
    : bySubject(db, filter, filter.subject, where, params, limit + 1);
  const records = rows.slice(0, limit).map((row) => ({
    index: row.leaf,
    text: fromUtf8(row.body),
    selfHash: formatHash(alg, row.self_hash),
  }));
  return rows.length > limit ? { records, next: records[records.length - 1].index } : { records };
}

interface Row {
  leaf: number;
  body: Uint8Array;
  self_hash: Uint8Array;
}

function selectRows(db: DatabaseSync, where: string, params: SQLInputValue[], limit: number): Row[] {
  return db.prepare(`SELECT leaf, body, self_hash FROM ${LOG_ROWS} ${where} ORDER BY leaf LIMIT ?`)
    .all(...params, limit) as unknown as Row[];
}

/**
 * The matching rows of the blocks whose subject filter may hold `subject`, block by block, until
 * `limit` are found (the last block may add more). SQL narrows each block by `subject_tag`; the
 * key itself is confirmed from the bytes.
 */
function bySubject(
  db: DatabaseSync,
  filter: QueryFilter,
  subject: string,
  where: string,
  params: SQLInputValue[],
  limit: number,
): Row[] {
  const select = db.prepare(
    `SELECT leaf, body, self_hash FROM ${LOG_ROWS} ${where} AND leaf >= ? AND leaf < ? ORDER BY leaf`,
  );
  const first = Math.max(filter.fromIndex ?? 0, (filter.after ?? -1) + 1);
  const rows: Row[] = [];
  for (const block of new SubjectBloomStore(db).candidates(subject, blockOf(first))) {
    const from = block * BLOCK_LEAVES;
    if (filter.toIndex !== undefined && from >= filter.toIndex) break;
    for (const row of select.all(...params, from, from + BLOCK_LEAVES) as unknown as Row[]) {
      if (hasSubject(row.body, subject)) rows.push(row);
    }
    if (rows.length >= limit) break;
  }
  return rows;
}

function hasSubject(body: Uint8Array, subject: string): boolean {
  const record = JSON.parse(fromUtf8(body)) as { subject: JsonObject };
  return subjectKey(record.subject) === subject;
}
