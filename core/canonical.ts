/**
 * Canonical form of a record (SPEC §2): the one writer of canonical bytes. Top-level fields in
 * the fixed order of SPEC §1, nested keys in UTF-16 code-unit order (RFC 8785), every string in
 * NFC, integers only, RFC 8785 string escaping, no whitespace. Also validates every field, so a
 * value that canonicalizes is a valid record.
 * @module
 */
import { CanonicalError } from "./errors.ts";
import { isPlainObject, type JsonObject, type JsonValue, MAX_NESTING, setOwn } from "./json.ts";
import { utf8, utf8Length } from "./encoding.ts";

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
  /** Canonical text. */
  readonly text: string;
  /** Canonical UTF-8 bytes of `text` (what is hashed). */
  readonly bytes: Uint8Array;
  /** Length of `bytes`. */
  readonly byteLength: number;
}

/** How strings that are not yet NFC are treated. */
export type NormalizationMode = "normalize" | "require";

const STREAM_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const KIND_RE = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;
const PREV_RE = /^(b3|sha256):(0|[0-9a-f]{64})$/;
const NON_ASCII_RE = /[\u0080-\uffff]/;

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
  const fast = readRecordFast(value);
  if (fast !== undefined) {
    const text = JSON.stringify(fast);
    const bytes = utf8(text);
    if (isNormalizedText(text, bytes)) return finish(fast, text, bytes, bounds);
  }
  const prep = new Preparer(mode);
  const record = readRecord(
    value,
    (text, path) => prep.normalize(text, path),
    (v, field) => prep.topObject(v, field),
  );
  const text = prep.integerKeys ? writeRecordCanonical(record) : JSON.stringify(record);
  return finish(record, text, utf8(text), bounds);
}

function readRecord(
  value: JsonObject,
  normalize: (text: string, path: string) => string,
  nested: (value: unknown, field: string) => JsonObject,
): AuditRecord {
  return {
    v: readVersion(value.v),
    ts_ms: readInteger(value.ts_ms, "ts_ms", 0),
    writer_id: readString(normalize, value.writer_id, "writer_id", 1, 128),
    seq: readInteger(value.seq, "seq", 1),
    stream: readPattern(value.stream, "stream", STREAM_RE),
    kind: readPattern(value.kind, "kind", KIND_RE),
    actor: nested(value.actor, "actor"),
    subject: nested(value.subject, "subject"),
    reason: readString(normalize, value.reason, "reason", 0, 256),
    attrs: nested(value.attrs, "attrs"),
    prev: readPattern(value.prev, "prev", PREV_RE),
  };
}

/** The record by the fast path, or `undefined` when only the precise path can decide. */
function readRecordFast(value: JsonObject): AuditRecord | undefined {
  try {
    return readRecord(value, keepString, fastObject);
  } catch (error) {
    if (error === TAKE_PRECISE_PATH) return undefined;
    throw error;
  }
}

const TAKE_PRECISE_PATH = Symbol("take the precise path");

function keepString(text: string): string {
  return text;
}

function fastObject(value: unknown, field: string): JsonObject {
  if (!isPlainObject(value)) badField(field, "must be a JSON object");
  const shaped = fastShape(value, 2);
  if (shaped === TAKE_PRECISE_PATH) throw TAKE_PRECISE_PATH;
  return shaped as JsonObject;
}

function finish(
  record: AuditRecord,
  text: string,
  bytes: Uint8Array,
  bounds: RecordBounds,
): CanonicalRecord {
  const byteLength = bytes.length;
  checkAttrsSize(record, byteLength, bounds.maxAttrsBytes);
  if (byteLength > bounds.maxRecordBytes) {
    throw new CanonicalError(
      "RECORD_TOO_LARGE",
      `canonical record is ${byteLength} bytes, over the ${bounds.maxRecordBytes}-byte bound`,
    );
  }
  return { record, text, bytes, byteLength };
}

/**
 * The fast path's shaping: plain objects re-keyed in code-unit order (a copy only where the
 * order differs), safe integers, no other types, depth within bounds. Strings are judged
 * afterwards on the whole text by `isNormalizedText`. Whatever it cannot settle cheaply
 * (integer-like keys, which V8 enumerates first; `__proto__`; anything invalid) takes the
 * precise path, which also produces the exact error.
 */
function fastShape(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isSafeInteger(value) ? value : TAKE_PRECISE_PATH;
    case "object":
      if (value === null) return value;
      if (depth > MAX_NESTING) return TAKE_PRECISE_PATH;
      if (Array.isArray(value)) return fastArray(value, depth);
      if (Object.getPrototypeOf(value) !== Object.prototype) return TAKE_PRECISE_PATH;
      return fastPlainObject(value as JsonObject, depth);
  }
  return TAKE_PRECISE_PATH;
}

function fastArray(items: unknown[], depth: number): unknown {
  let out: unknown[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const shaped = fastShape(items[i], depth + 1);
    if (shaped === TAKE_PRECISE_PATH) return shaped;
    if (shaped !== items[i]) (out ??= items.slice())[i] = shaped;
  }
  return out ?? items;
}

function fastPlainObject(obj: JsonObject, depth: number): unknown {
  const keys = Object.keys(obj);
  let sorted = true;
  let source = obj;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (i > 0 && !(keys[i - 1] < key)) sorted = false;
    const shaped = fastShape(obj[key], depth + 1);
    if (shaped === TAKE_PRECISE_PATH || key === "__proto__" || startsWithDigit(key)) return TAKE_PRECISE_PATH;
    if (shaped !== obj[key]) {
      if (source === obj) source = { ...obj };
      source[key] = shaped as JsonValue;
    }
  }
  if (sorted) return source;
  const order = keys.sort();
  const out: JsonObject = {};
  for (let i = 0; i < order.length; i++) out[order[i]] = source[order[i]];
  return out;
}

/** Integer-like keys ("0", "17") are enumerated out of insertion order by V8; they start with a digit. */
function startsWithDigit(key: string): boolean {
  const c = key.charCodeAt(0);
  return c >= 0x30 && c <= 0x39;
}

/**
 * True when every string in a `JSON.stringify` output is NFC and well-formed: the text is ASCII (as many UTF-8
 * bytes as characters) or NFC as a whole (quotes are starters that compose with nothing, so per-string NFC follows),
 * and holds no `\ud…` escape, which is how `JSON.stringify` writes a lone surrogate.
 */
function isNormalizedText(text: string, bytes: Uint8Array): boolean {
  if (text.includes("\\ud")) return false;
  return bytes.length === text.length || text.normalize("NFC") === text;
}

/** Throws `UNKNOWN_FIELD` for a key outside `allowed` and `MISSING_FIELD` for an absent one. */
export function checkFieldNames(
  value: JsonObject,
  allowed: readonly string[],
  required: readonly string[] = allowed,
): void {
  let requiredSeen = 0;
  for (const key in value) {
    if (!allowed.includes(key)) {
      throw new CanonicalError("UNKNOWN_FIELD", `unknown field ${JSON.stringify(key)}`, { path: key });
    }
    if (required === allowed || required.includes(key)) requiredSeen++;
  }
  if (requiredSeen === required.length) return;
  const missing = required.find((key) => !Object.hasOwn(value, key)) ?? required[0];
  throw new CanonicalError("MISSING_FIELD", `missing field ${JSON.stringify(missing)}`, { path: missing });
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
  if (value < min) badField(path, `must be an integer ≥ ${min}`);
  return value === 0 ? 0 : value;
}

function readString(
  normalize: (text: string, path: string) => string,
  value: unknown,
  path: string,
  minChars: number,
  maxChars: number,
): string {
  if (typeof value !== "string") badField(path, "must be a string");
  const text = normalize(value, path);
  const chars = countCodePoints(text);
  if (chars < minChars || chars > maxChars) {
    // The fast path counts strings before NFC, which can shorten them: let the precise path count.
    if (normalize === keepString && NON_ASCII_RE.test(text)) throw TAKE_PRECISE_PATH;
    badField(path, `must be ${minChars}–${maxChars} characters, got ${chars}`);
  }
  return text;
}

function readPattern(value: unknown, path: string, pattern: RegExp): string {
  if (typeof value !== "string") badField(path, "must be a string");
  if (!pattern.test(value)) badField(path, `must match ${pattern.source}`);
  return value;
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

function checkAttrsSize(record: AuditRecord, recordBytes: number, maxBytes: number): void {
  // The rest of the record bounds attrs from above: measure attrs alone only when it could be too large.
  if (attrsBytesAtMost(record, recordBytes) <= maxBytes) return;
  // Key order does not change the length, so V8's enumeration order measures the canonical attrs.
  const bytes = utf8Length(JSON.stringify(record.attrs));
  if (bytes > maxBytes) {
    throw new CanonicalError(
      "ATTRS_TOO_LARGE",
      `canonical attrs are ${bytes} bytes, over the ${maxBytes}-byte bound`,
      { path: "attrs" },
    );
  }
}

/** Characters of a canonical record with every value at its shortest and `attrs` left out. */
const FRAME_CHARS =
  `{"v":1,"ts_ms":0,"writer_id":"","seq":1,"stream":"","kind":"","actor":{},"subject":{},"reason":"","attrs":,"prev":""}`
    .length;

/**
 * An upper bound on the bytes of `attrs` in a record of `recordBytes`: the record less the least
 * the other fields can take (a string's UTF-8 is at least its UTF-16 length; escaping only adds).
 */
function attrsBytesAtMost(record: AuditRecord, recordBytes: number): number {
  const { writer_id, stream, kind, reason, prev } = record;
  return recordBytes - FRAME_CHARS - writer_id.length - stream.length - kind.length - reason.length -
    prev.length;
}

/**
 * Validates nested values and returns them in canonical shape: the same object when it already
 * is (keys in code-unit order, strings NFC), otherwise a normalized, re-keyed copy. Native
 * `JSON.stringify` then writes canonical text, since its string escaping and integer output are
 * those of RFC 8785. V8 enumerates integer-like keys ("7", "10") before others whatever the
 * insertion order, so an object with such keys out of code-unit order is flagged and the record
 * is written by `writeRecordCanonical` instead.
 */
class Preparer {
  integerKeys = false;
  private readonly path: (string | number)[] = [];

  constructor(private readonly mode: NormalizationMode) {}

  normalize(text: string, path?: string): string {
    if (!NON_ASCII_RE.test(text)) return text;
    if (!text.isWellFormed()) this.fail("LONE_SURROGATE", "string holds a lone surrogate", path);
    const nfc = text.normalize("NFC");
    if (nfc !== text && this.mode === "require") {
      this.fail("NOT_CANONICAL", "string is not in Unicode NFC", path);
    }
    return nfc;
  }

  topObject(value: unknown, field: string): JsonObject {
    if (!isPlainObject(value)) badField(field, "must be a JSON object");
    this.path.length = 0;
    this.path.push(field);
    return this.object(value, 2);
  }

  private fail(code: string, message: string, path?: string): never {
    throw new CanonicalError(code, message, { path: path ?? this.pathText() });
  }

  private pathText(): string {
    return this.path.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`))
      .join("");
  }

  private value(value: unknown, depth: number): JsonValue {
    switch (typeof value) {
      case "string":
        return this.normalize(value);
      case "number":
        if (Number.isSafeInteger(value)) return value;
        if (!Number.isFinite(value)) this.fail("BAD_FIELD", "holds a non-finite number");
        if (!Number.isInteger(value)) this.fail("FLOAT_DISALLOWED", "numbers must be integers");
        return this.fail("UNSAFE_INTEGER", "integer outside ±(2^53−1)");
      case "boolean":
        return value;
      case "object":
        if (value === null) return null;
        if (Array.isArray(value)) return this.array(value, depth + 1);
        if (isPlainObject(value)) return this.object(value, depth + 1);
    }
    return this.fail("BAD_FIELD", `holds a value JSON cannot carry (${describeType(value)})`);
  }

  private array(items: unknown[], depth: number): JsonValue[] {
    this.checkDepth(depth);
    let out: JsonValue[] | undefined;
    for (let i = 0; i < items.length; i++) {
      this.path.push(i);
      const item = items[i];
      const prepared = this.value(item, depth);
      this.path.pop();
      if (prepared !== item) (out ??= items.slice(0, i) as JsonValue[])[i] = prepared;
      else if (out !== undefined) out[i] = prepared;
    }
    return out ?? (items as JsonValue[]);
  }

  private object(obj: JsonObject, depth: number): JsonObject {
    this.checkDepth(depth);
    const keys = Object.keys(obj);
    let copy = false;
    const prepared: JsonValue[] = new Array(keys.length);
    const names: string[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      this.path.push(key);
      const name = this.normalize(key);
      const value = obj[key];
      const out = this.value(value, depth);
      this.path.pop();
      names[i] = name;
      prepared[i] = out;
      if (name !== key || out !== value || (i > 0 && !(names[i - 1] < name))) copy = true;
    }
    return copy ? this.rebuild(names, prepared) : obj;
  }

  private rebuild(names: string[], values: JsonValue[]): JsonObject {
    const order = names.map((_, i) => i).sort((
      a,
      b,
    ) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0));
    const out: JsonObject = {};
    for (let i = 0; i < order.length; i++) {
      const name = names[order[i]];
      if (i > 0 && names[order[i - 1]] === name) {
        this.path.push(name);
        this.fail("DUPLICATE_KEY", `keys equal after NFC: ${JSON.stringify(name)}`);
      }
      setOwn(out, name, values[order[i]]);
    }
    const enumerated = Object.keys(out);
    for (let i = 1; i < enumerated.length; i++) {
      if (!(enumerated[i - 1] < enumerated[i])) this.integerKeys = true;
    }
    return out;
  }

  private checkDepth(depth: number): void {
    if (depth > MAX_NESTING) this.fail("NESTING_TOO_DEEP", `nesting deeper than ${MAX_NESTING}`);
  }
}

/** Writes a prepared record with nested keys sorted explicitly (the integer-key case). */
function writeRecordCanonical(record: AuditRecord): string {
  const fields = RECORD_FIELDS.map((field) => `"${field}":${writeSorted(record[field])}`);
  return `{${fields.join(",")}}`;
}

function writeSorted(value: JsonValue): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(writeSorted).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${writeSorted(value[key])}`).join(",")}}`;
}

function describeType(value: unknown): string {
  if (typeof value === "object" && value !== null) return value.constructor?.name ?? "object";
  return typeof value;
}

/** Re-exported for callers that build records from JSON values. */
export type { JsonObject, JsonValue };
