/**
 * Typed errors. Every failure carries a stable `code` (part of the public contract, listed in
 * docs/FORMAT.md) and, where one exists, the location that failed.
 * @module
 */

/** Where a failure was found: any of a leaf index, a stream/seq pair, a byte offset, a field path. */
export interface ErrorLocation {
  readonly leafIndex?: number;
  readonly writerId?: string;
  readonly stream?: string;
  readonly seq?: number;
  readonly offset?: number;
  readonly path?: string;
  readonly line?: number;
  /** Position of the failing item in a batch, from 0. */
  readonly item?: number;
}

/**
 * Base class of every error SecuraMem throws on purpose.
 *
 * @example
 * ```ts
 * import { readDraftText, SecuraMemError } from "../mod.ts";
 * try {
 *   readDraftText(`{"kind":"K","kind":"L"}`);
 * } catch (error) {
 *   if (error instanceof SecuraMemError) console.log(error.code); // "DUPLICATE_KEY"
 * }
 * ```
 */
export class SecuraMemError extends Error {
  /** Stable machine-readable code, e.g. `DUPLICATE_KEY`. */
  readonly code: string;
  /** Where the failure was found, if anywhere. */
  readonly where: ErrorLocation;
  /** The message without the location suffix. */
  readonly detail: string;

  constructor(code: string, message: string, where: ErrorLocation = {}) {
    super(message + describeLocation(where));
    this.name = new.target.name;
    this.code = code;
    this.where = where;
    this.detail = message;
  }

  /**
   * The same error (class, code, message) found at `where` instead. A subclass whose constructor
   * takes other arguments overrides this.
   *
   * @example
   * ```ts
   * import { CanonicalError } from "../mod.ts";
   * new CanonicalError("BAD_FIELD", "kind must be a string").withLocation({ line: 2 }).message;
   * // "kind must be a string (line 2)"
   * ```
   */
  withLocation(where: ErrorLocation): this {
    const Kind = this.constructor as new (code: string, message: string, where: ErrorLocation) => this;
    return new Kind(this.code, this.detail, where);
  }
}

/**
 * The record text or value is not acceptable canonical input (SPEC §1–2).
 *
 * @example
 * ```ts
 * import { CanonicalError, readJsonText } from "../mod.ts";
 * try {
 *   readJsonText(`{"x":1.5}`);
 * } catch (error) {
 *   console.log(error instanceof CanonicalError && error.code); // "FLOAT_DISALLOWED"
 * }
 * ```
 */
export class CanonicalError extends SecuraMemError {}

/**
 * A record, a chain link or a chain segment failed verification.
 *
 * @example
 * ```ts
 * import { ChainError, parseHash } from "../mod.ts";
 * try {
 *   parseHash("b3:xyz");
 * } catch (error) {
 *   console.log(error instanceof ChainError && error.code); // "BAD_HASH"
 * }
 * ```
 */
export class ChainError extends SecuraMemError {}

/**
 * A Merkle inclusion or consistency proof failed, or was asked of an impossible range.
 *
 * @example
 * ```ts
 * import { loadHasher, MerkleHasher, ProofError, verifyInclusion } from "../mod.ts";
 * const mh = new MerkleHasher(await loadHasher("b3"));
 * try {
 *   verifyInclusion(mh, 3, 2, mh.leaf(new Uint8Array(32)), [], mh.empty());
 * } catch (error) {
 *   console.log(error instanceof ProofError && error.code); // "INDEX_OUT_OF_RANGE"
 * }
 * ```
 */
export class ProofError extends SecuraMemError {}

/**
 * A key text or signature is malformed or does not verify.
 *
 * @example
 * ```ts
 * import { KeyError, parseVerifierKey } from "../mod.ts";
 * try {
 *   await parseVerifierKey("not-a-key");
 * } catch (error) {
 *   console.log(error instanceof KeyError && error.code); // "BAD_KEY"
 * }
 * ```
 */
export class KeyError extends SecuraMemError {}

/**
 * A signed note or checkpoint is malformed or its signatures do not verify.
 *
 * @example
 * ```ts
 * import { NoteError, openNote } from "../mod.ts";
 * try {
 *   await openNote("no signatures\n", []);
 * } catch (error) {
 *   console.log(error instanceof NoteError && error.code); // "MALFORMED_NOTE"
 * }
 * ```
 */
export class NoteError extends SecuraMemError {}

/**
 * A receipt is malformed or does not prove its record.
 *
 * @example
 * ```ts
 * import { parseReceipt, ReceiptError } from "../mod.ts";
 * try {
 *   parseReceipt(`{"v":1,"record":{},"index":-1,"proof":[],"checkpoint":""}`);
 * } catch (error) {
 *   console.log(error instanceof ReceiptError && error.code); // "RECEIPT_MALFORMED"
 * }
 * ```
 */
export class ReceiptError extends SecuraMemError {}

/**
 * The same error with more location: same class, code and message, `where` merged with `extra`
 * (keys set to `undefined` in `extra` are dropped).
 */
export function relocate<E extends SecuraMemError>(error: E, extra: ErrorLocation): E {
  const where: Record<string, unknown> = { ...error.where, ...extra };
  for (const key of Object.keys(where)) if (where[key] === undefined) delete where[key];
  return error.withLocation(where as ErrorLocation);
}

function describeLocation(where: ErrorLocation): string {
  const parts: string[] = [];
  if (where.leafIndex !== undefined) parts.push(`leaf ${where.leafIndex}`);
  if (where.stream !== undefined || where.seq !== undefined) {
    const writer = where.writerId === undefined ? "" : `${where.writerId}/`;
    parts.push(`${writer}${where.stream ?? "?"}#${where.seq ?? "?"}`);
  }
  if (where.line !== undefined) parts.push(`line ${where.line}`);
  if (where.item !== undefined) parts.push(`batch item ${where.item}`);
  if (where.offset !== undefined) parts.push(`offset ${where.offset}`);
  if (where.path !== undefined) parts.push(`at ${where.path}`);
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}
