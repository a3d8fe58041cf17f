/**
 * A stored record's bytes read back as the sealed record they must be, byte for byte. Verify
 * reads each body as SQLite text (`BODY_TEXT_COLUMNS`): no per-row `ArrayBuffer`, no decoding.
 *
 * Text can hide what bytes show: `node:sqlite` decodes an invalid UTF-8 sequence as U+FFFD (so
 * `F0 9F 98` and `EF BF BD` read alike) and ends a text at its first NUL byte. The text is
 * therefore trusted only when it holds no U+FFFD (then every byte decoded validly, and valid
 * UTF-8 decodes one way only) and its canonical UTF-8 is exactly as long as the stored BLOB (no
 * byte was cut off or dropped). Anything else — a U+FFFD in a genuine record included — is
 * decided on the stored bytes themselves, which also gives the precise error.
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { RecordBounds } from "../core/canonical.ts";
import { SecuraMemError } from "../core/errors.ts";
import { bytesEqual, fromUtf8 } from "../core/encoding.ts";
import type { Hasher } from "../core/hash.ts";
import { readJsonBytes } from "../core/json_reader.ts";
import { sealCompleteRecord, type SealedRecord } from "../core/record.ts";
import { VerificationError } from "./errors.ts";
import { LOG_ROWS } from "./recent.ts";

/** The body as text, and its stored length in bytes (-1 unless it is a BLOB): `body_text, body_bytes`. */
export const BODY_TEXT_COLUMNS =
  "CAST(body AS TEXT) AS body_text, iif(typeof(body) = 'blob', octet_length(body), -1) AS body_bytes";

/** What a body is checked against: fixed per ledger. */
export interface BodyContext {
  readonly hasher: Hasher;
  readonly bounds: RecordBounds;
}

/** The stored bytes of single records, for the bodies whose text cannot be trusted. */
export class StoredBodies {
  private readonly select: StatementSync;

  constructor(db: DatabaseSync) {
    this.select = db.prepare(`SELECT body FROM ${LOG_ROWS} WHERE leaf = ?`);
  }

  /**
   * The sealed record that the body of `leaf` must be, given its `BODY_TEXT_COLUMNS`; throws
   * `VerificationError` with what is wrong.
   */
  read(leaf: number, text: string, byteLength: number, context: BodyContext): SealedRecord {
    return readTrustedText(text, byteLength, context) ?? this.readBytes(leaf, context);
  }

  private readBytes(leaf: number, context: BodyContext): SealedRecord {
    const where = { leafIndex: leaf };
    const body = (this.select.get(leaf) as { body: unknown } | undefined)?.body;
    if (!(body instanceof Uint8Array)) {
      throw new VerificationError("NOT_CANONICAL", "stored record is not a BLOB of bytes", where);
    }
    return readStoredBytes(body, context, where);
  }
}

function readTrustedText(text: string, byteLength: number, context: BodyContext): SealedRecord | undefined {
  if (byteLength < 0 || text.includes("\uFFFD")) return undefined;
  try {
    const sealed = sealCompleteRecord(JSON.parse(text), context.hasher, context.bounds);
    if (sealed.text === text && sealed.bytes.length === byteLength) return sealed;
  } catch {
    // decided on the bytes
  }
  return undefined;
}

/**
 * `JSON.parse` plus a byte comparison with the re-canonicalized record accepts exactly the
 * canonical texts (any duplicate key, float spelling or escape variant changes the bytes); the
 * strict reader then names what is wrong.
 */
function readStoredBytes(body: Uint8Array, context: BodyContext, where: { leafIndex: number }): SealedRecord {
  try {
    const sealed = sealCompleteRecord(JSON.parse(fromUtf8(body)), context.hasher, context.bounds);
    if (bytesEqual(sealed.bytes, body)) return sealed;
  } catch {
    // fall through to the strict reader for the precise error
  }
  try {
    sealCompleteRecord(readJsonBytes(body), context.hasher, context.bounds);
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
