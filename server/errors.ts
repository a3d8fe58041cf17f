/**
 * HTTP errors: every refusal is JSON `{"error":{"code","message","where"?}}` with a status chosen
 * from the error's stable code.
 * @module
 */
import { CanonicalError, SecuraMemError } from "../core/errors.ts";

/** A refusal decided by the server itself (backpressure, auth, limits, parameters). */
export class ServerError extends SecuraMemError {}

/** The JSON body of an error response. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly where?: object };
}

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  // The request text is not JSON a record may be read from.
  BAD_JSON: 400,
  BAD_UTF8: 400,
  DUPLICATE_KEY: 400,
  FLOAT_DISALLOWED: 400,
  UNSAFE_INTEGER: 400,
  LONE_SURROGATE: 400,
  NESTING_TOO_DEEP: 400,
  BAD_PARAM: 400,
  // A witness's answer that cannot be read.
  MALFORMED_NOTE: 400,
  MALFORMED_CHECKPOINT: 400,
  EXTENSION_MALFORMED: 400,
  BAD_COSIGNATURE_INPUT: 400,
  BODY_UNREADABLE: 400,
  BAD_QUERY: 400,
  BAD_RANGE: 400,
  INDEX_OUT_OF_RANGE: 400,
  SIZE_OUT_OF_RANGE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN_HOST: 403,
  EMPTY_BATCH: 422,
  MISSING_COSIGNATURE: 422,
  BAD_SIGNATURE: 422,
  NOT_FOUND: 404,
  CONFLICT: 409,
  SEQ_GAP: 409,
  SEQ_REUSED: 409,
  NO_WITNESS: 409,
  COSIGNED_OTHER_CHECKPOINT: 409,
  BODY_TOO_LARGE: 413,
  BATCH_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BACKPRESSURE: 503,
  SHUTTING_DOWN: 503,
  LOCKED: 503,
  // The ledger's disk is full: nothing of the request was stored; it can be retried once space is freed.
  DISK_FULL: 507,
};

/** The HTTP status of an error: its code's, else 422 for other record rules, else 500. */
export function httpStatusOf(error: unknown): number {
  if (!(error instanceof SecuraMemError)) return 500;
  const status = STATUS_BY_CODE[error.code];
  if (status !== undefined) return status;
  // Well-formed JSON that breaks a record rule: unknown or missing field, wrong type, over bounds.
  return error instanceof CanonicalError ? 422 : 500;
}

/** The response body of an error; internal failures are not described beyond their code. */
export function errorBody(error: unknown): ErrorBody {
  if (!(error instanceof SecuraMemError)) {
    return { error: { code: "INTERNAL", message: "internal error (see the server log)" } };
  }
  const where = Object.keys(error.where).length > 0 ? { where: error.where } : {};
  return { error: { code: error.code, message: error.message, ...where } };
}
