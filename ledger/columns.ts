/**
 * Index columns derived from a record (SPEC §8: the canonical bytes are the truth; these are
 * re-derived and compared by verify). `actor_key` and `subject_tag` are what people filter on.
 * @module
 */
import type { AuditRecord } from "../core/canonical.ts";
import type { JsonObject } from "../core/json.ts";
import { subjectTag } from "./subject_bloom.ts";

/** Actor fields tried in order for `actor_key`. */
export const ACTOR_KEY_FIELDS = ["user_id", "username", "key_fpr", "cap_id", "role"] as const;
/** Subject fields tried in order for the subject key. */
export const SUBJECT_KEY_FIELDS = ["content_id", "name", "model", "tool"] as const;

/** The derived columns of one record, in table order after `leaf, body, self_hash`. */
export interface IndexColumns {
  readonly writer_id: string;
  readonly stream: string;
  readonly seq: number;
  readonly ts_ms: number;
  readonly kind: string;
  readonly actor_key: string | null;
  /** The 53-bit fingerprint of the subject key (`subjectTag`); the key itself is in the bytes. */
  readonly subject_tag: number | null;
}

/** Names of the derived columns, in table order. */
export const INDEX_COLUMN_NAMES: readonly (keyof IndexColumns)[] = [
  "writer_id",
  "stream",
  "seq",
  "ts_ms",
  "kind",
  "actor_key",
  "subject_tag",
];

/** Derives the index columns of `record`, given its subject key when the caller already has it. */
export function indexColumns(record: AuditRecord, subject = subjectKey(record.subject)): IndexColumns {
  return {
    writer_id: record.writer_id,
    stream: record.stream,
    seq: record.seq,
    ts_ms: record.ts_ms,
    kind: record.kind,
    actor_key: firstScalar(record.actor, ACTOR_KEY_FIELDS),
    subject_tag: subject === null ? null : subjectTag(subject),
  };
}

/** The subject key of a record's `subject`: the first of SUBJECT_KEY_FIELDS that is a string or number. */
export function subjectKey(subject: JsonObject): string | null {
  return firstScalar(subject, SUBJECT_KEY_FIELDS);
}

function firstScalar(obj: JsonObject, fields: readonly string[]): string | null {
  for (const field of fields) {
    const value = obj[field];
    if (typeof value === "string" || typeof value === "number") return String(value);
  }
  return null;
}
