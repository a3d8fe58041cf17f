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
}

/** Base class of every error SecuraMem throws on purpose. */
export class SecuraMemError extends Error {
  /** Stable machine-readable code, e.g. `DUPLICATE_KEY`. */
  readonly code: string;
  /** Where the failure was found, if anywhere. */
  readonly where: ErrorLocation;

  constructor(code: string, message: string, where: ErrorLocation = {}) {
    super(message + describeLocation(where));
    this.name = new.target.name;
    this.code = code;
    this.where = where;
  }
}

/** The record text or value is not acceptable canonical input (SPEC §1–2). */
export class CanonicalError extends SecuraMemError {}

/** A record, a chain link or a chain segment failed verification. */
export class ChainError extends SecuraMemError {}

/** A Merkle inclusion or consistency proof failed, or was asked of an impossible range. */
export class ProofError extends SecuraMemError {}

/** A key text or signature is malformed or does not verify. */
export class KeyError extends SecuraMemError {}

/** A signed note or checkpoint is malformed or its signatures do not verify. */
export class NoteError extends SecuraMemError {}

/** A receipt is malformed or does not prove its record. */
export class ReceiptError extends SecuraMemError {}

function describeLocation(where: ErrorLocation): string {
  const parts: string[] = [];
  if (where.leafIndex !== undefined) parts.push(`leaf ${where.leafIndex}`);
  if (where.stream !== undefined || where.seq !== undefined) {
    const writer = where.writerId === undefined ? "" : `${where.writerId}/`;
    parts.push(`${writer}${where.stream ?? "?"}#${where.seq ?? "?"}`);
  }
  if (where.line !== undefined) parts.push(`line ${where.line}`);
  if (where.offset !== undefined) parts.push(`offset ${where.offset}`);
  if (where.path !== undefined) parts.push(`at ${where.path}`);
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}
