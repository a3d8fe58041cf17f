/**
 * Canonical form of a record (SPEC §2): the one writer of canonical bytes. Top-level fields in
 * the fixed order of SPEC §1, nested keys in UTF-16 code-unit order (RFC 8785), every string in
 * NFC, integers only, RFC 8785 string escaping, no whitespace. Also validates every field, so a
 * value that canonicalizes is a valid record.
 * @module
 */
import { CanonicalError } from "./errors.ts";
import { isPlainObject, type JsonObject, type JsonValue, MAX_NESTING } from "./json.ts";
import { utf8 } from "./encoding.ts";

/**
 * Top-level fields of a record, in canonical order (SPEC §1).
 *
 * @example
 * ```ts
 * import { RECORD_FIELDS } from "../mod.ts";
 * RECORD_FIELDS[0]; // "v"
 * ```
 */
export const RECORD_FIELDS = [
  "v",
  "ts_ms",
  "writer_id",
  "seq",
  "stream",
  "kind",
  "actor",
  "subject",
  "reason",
  "attrs",
  "prev",
] as const;

/** A top-level record field name. */
export type RecordField = typeof RECORD_FIELDS[number];

/** Size bounds fixed per ledger at creation (SPEC §1). */
export interface RecordBounds {
  /** Largest canonical record (without `self_hash`), bytes. @default 4096 */
  readonly maxRecordBytes: number;
  /** Largest canonical `attrs` object, bytes. @default 1024 */
  readonly maxAttrsBytes: number;
}

/**
 * The defaults of SPEC §1.
 *
 * @example
 * ```ts
 * import { DEFAULT_BOUNDS } from "../mod.ts";
 * DEFAULT_BOUNDS.maxRecordBytes; // 4096
 * ```
 */
export const DEFAULT_BOUNDS: RecordBounds = { maxRecordBytes: 4096, maxAttrsBytes: 1024 };

/** An audit record without `self_hash`, as SPEC §1 defines it. */
export interface AuditRecord {
  v: 1;
  ts_ms: number;
  writer_id: string;
  seq: number;
  stream: string;
  kind: string;
  actor: JsonObject;
  subject: JsonObject;
  reason: string;
  attrs: JsonObject;
  prev: string;
}

/** The canonical rendering of one record. */
export interface CanonicalRecord {
  /** The record with every string in NFC. */
  readonly record: AuditRecord;
  /** Canonical text (what is hashed). */
  readonly text: string;
  /** Canonical UTF-8 bytes of `text`. */
  readonly bytes: Uint8Array;
}

/** How strings that are not yet NFC are treated. */
export type NormalizationMode = "normalize" | "require";

const STREAM_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const KIND_RE = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;
const PREV_RE = /^(b3|sha256):(0|[0-9a-f]{64})$/;
const NON_ASCII_RE = /[\u0080-\uffff]/;
const MAX_TS = Number.MAX_SAFE_INTEGER;

/**
 * Canonicalizes a complete record value (all eleven fields, no others).
 * In `"require"` mode a string that is not already NFC is `NOT_CANONICAL`: stored and exported
 * records must be byte-canonical, not merely equivalent.
 *
 * @example
 * ```ts
 * import { canonicalizeRecord, readJsonText } from "../mod.ts";
 * const { text } = canonicalizeRecord(readJsonText(`{"prev":"b3:0","attrs":{"b":1,"a":2},"reason":"ok",
 *   "subject":{},"actor":{},"kind":"K","stream":"default","seq":1,"writer_id":"w","ts_ms":0,"v":1}`));
 * text; // {"v":1,"ts_ms":0,"writer_id":"w","seq":1,"stream":"default","kind":"K",…,"attrs":{"a":2,"b":1},"prev":"b3:0"}
 * ```
 */
export function canonicalizeRecord(
  value: unknown,
  bounds: RecordBounds = DEFAULT_BOUNDS,
  mode: NormalizationMode = "normalize",
): CanonicalRecord {
  if (!isPlainObject(value)) throw new CanonicalError("BAD_FIELD", "a record must be a JSON object");
  checkFieldNames(value, RECORD_FIELDS);
  const writer = new CanonicalWriter(mode);
  const record = {
    v: readVersion(value.v),
    ts_ms: readInteger(value.ts_ms, "ts_ms", 0),
    writer_id: readString(writer, value.writer_id, "writer_id", 1, 128),
    seq: readInteger(value.seq, "seq", 1),
    stream: readPattern(writer, value.stream, "stream", STREAM_RE),
    kind: readPattern(writer, value.kind, "kind", KIND_RE),
    actor: value.actor as JsonObject,
    subject: value.subject as JsonObject,
    reason: readString(writer, value.reason, "reason", 0, 256),
    attrs: value.attrs as JsonObject,
    prev: readPattern(writer, value.prev, "prev", PREV_RE),
  } satisfies AuditRecord;
  const actor = writer.topObject(record.actor, "actor");
  const subject = writer.topObject(record.subject, "subject");
  const attrs = writer.topObject(record.attrs, "attrs");
  checkAttrsSize(attrs, bounds.maxAttrsBytes);
  const text = `{"v":1,"ts_ms":${record.ts_ms},"writer_id":${JSON.stringify(record.writer_id)},` +
    `"seq":${record.seq},"stream":"${record.stream}","kind":"${record.kind}",` +
    `"actor":${actor},"subject":${subject},"reason":${JSON.stringify(record.reason)},` +
    `"attrs":${attrs},"prev":"${record.prev}"}`;
  const bytes = utf8(text);
  if (bytes.length > bounds.maxRecordBytes) {
    throw new CanonicalError(
      "RECORD_TOO_LARGE",
      `canonical record is ${bytes.length} bytes, over the ${bounds.maxRecordBytes}-byte bound`,
    );
  }
  if (writer.changed) {
    record.actor = JSON.parse(actor);
    record.subject = JSON.parse(subject);
    record.attrs = JSON.parse(attrs);
  }
  return { record, text, bytes };
}

/** Throws `UNKNOWN_FIELD` for a key outside `allowed` and `MISSING_FIELD` for an absent one. */
export function checkFieldNames(
  value: JsonObject,
  allowed: readonly string[],
  required: readonly string[] = allowed,
): void {
  for (const key in value) {
    if (!allowed.includes(key)) {
      throw new CanonicalError("UNKNOWN_FIELD", `unknown field ${JSON.stringify(key)}`, { path: key });
    }
  }
  for (const key of required) {
    if (!Object.hasOwn(value, key)) {
      throw new CanonicalError("MISSING_FIELD", `missing field ${JSON.stringify(key)}`, { path: key });
    }
  }
}

function badField(path: string, message: string): never {
  throw new CanonicalError("BAD_FIELD", `${path} ${message}`, { path });
}

function readVersion(value: unknown): 1 {
  if (value !== 1) badField("v", "must be 1");
  return 1;
}

function readInteger(value: unknown, path: string, min: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    badField(path, "must be an integer");
  }
  if (value < min || value > MAX_TS) badField(path, `must be an integer ≥ ${min}`);
  return value === 0 ? 0 : value;
}

function readString(
  writer: CanonicalWriter,
  value: unknown,
  path: string,
  minChars: number,
  maxChars: number,
): string {
  if (typeof value !== "string") badField(path, "must be a string");
  const text = writer.normalize(value, path);
  const chars = countCodePoints(text);
  if (chars < minChars || chars > maxChars) {
    badField(path, `must be ${minChars}–${maxChars} characters, got ${chars}`);
  }
  return text;
}

function readPattern(writer: CanonicalWriter, value: unknown, path: string, pattern: RegExp): string {
  if (typeof value !== "string") badField(path, "must be a string");
  const text = writer.normalize(value, path);
  if (!pattern.test(text)) badField(path, `must match ${pattern.source}`);
  return text;
}

function countCodePoints(text: string): number {
  let surrogatePairs = 0;
  if (NON_ASCII_RE.test(text)) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff) surrogatePairs++;
    }
  }
  return text.length - surrogatePairs;
}

function checkAttrsSize(attrsText: string, maxBytes: number): void {
  // A character is 1–3 UTF-8 bytes (a surrogate pair is 4 for 2): encode only when unsure.
  if (attrsText.length * 3 <= maxBytes) return;
  const bytes = utf8(attrsText).length;
  if (bytes > maxBytes) {
    throw new CanonicalError(
      "ATTRS_TOO_LARGE",
      `canonical attrs are ${bytes} bytes, over the ${maxBytes}-byte bound`,
      { path: "attrs" },
    );
  }
}

/** Writes nested JSON values canonically; remembers whether NFC changed anything. */
class CanonicalWriter {
  changed = false;
  constructor(private readonly mode: NormalizationMode) {}

  normalize(text: string, path: string): string {
    if (!NON_ASCII_RE.test(text)) return text;
    if (!text.isWellFormed()) {
      throw new CanonicalError("LONE_SURROGATE", "string holds a lone surrogate", { path });
    }
    const nfc = text.normalize("NFC");
    if (nfc !== text) {
      if (this.mode === "require") {
        throw new CanonicalError("NOT_CANONICAL", "string is not in Unicode NFC", { path });
      }
      this.changed = true;
    }
    return nfc;
  }

  topObject(value: unknown, path: string): string {
    if (!isPlainObject(value)) badField(path, "must be a JSON object");
    return this.object(value, 2, path);
  }

  private value(value: unknown, depth: number, path: string): string {
    switch (typeof value) {
      case "string":
        return JSON.stringify(this.normalize(value, path));
      case "number":
        return integerText(value, path);
      case "boolean":
        return value ? "true" : "false";
      case "object":
        if (value === null) return "null";
        if (Array.isArray(value)) return this.array(value, depth + 1, path);
        if (isPlainObject(value)) return this.object(value, depth + 1, path);
    }
    return badField(path, `holds a value JSON cannot carry (${describeType(value)})`);
  }

  private array(items: unknown[], depth: number, path: string): string {
    checkDepth(depth, path);
    let out = "[";
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out += ",";
      out += this.value(items[i], depth, `${path}[${i}]`);
    }
    return out + "]";
  }

  private object(obj: JsonObject, depth: number, path: string): string {
    checkDepth(depth, path);
    const rawKeys = Object.keys(obj);
    if (rawKeys.length === 0) return "{}";
    const entries: [string, string][] = new Array(rawKeys.length);
    for (let i = 0; i < rawKeys.length; i++) {
      const raw = rawKeys[i];
      entries[i] = [this.normalize(raw, `${path}.${raw}`), raw];
    }
    entries.sort(compareKeys);
    let out = "{";
    for (let i = 0; i < entries.length; i++) {
      const [key, raw] = entries[i];
      if (i > 0) {
        if (entries[i - 1][0] === key) {
          throw new CanonicalError("DUPLICATE_KEY", `keys equal after NFC: ${JSON.stringify(key)}`, {
            path: `${path}.${key}`,
          });
        }
        out += ",";
      }
      out += JSON.stringify(key) + ":" + this.value(obj[raw], depth, `${path}.${key}`);
    }
    return out + "}";
  }
}

function compareKeys(a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function checkDepth(depth: number, path: string): void {
  if (depth > MAX_NESTING) {
    throw new CanonicalError("NESTING_TOO_DEEP", `nesting deeper than ${MAX_NESTING}`, { path });
  }
}

function integerText(value: number, path: string): string {
  if (Number.isSafeInteger(value)) return value === 0 ? "0" : String(value);
  if (!Number.isFinite(value)) badField(path, "holds a non-finite number");
  if (!Number.isInteger(value)) {
    throw new CanonicalError("FLOAT_DISALLOWED", "numbers must be integers", { path });
  }
  throw new CanonicalError("UNSAFE_INTEGER", "integer outside ±(2^53−1)", { path });
}

function describeType(value: unknown): string {
  if (typeof value === "object" && value !== null) return value.constructor?.name ?? "object";
  return typeof value;
}

/** Re-exported for callers that build records from JSON values. */
export type { JsonObject, JsonValue };
