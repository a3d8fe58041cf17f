/**
 * Hash algorithms, the hasher interface the pure core takes as a parameter, and tagged hash
 * strings `"<alg>:<64 lowercase hex>"` (SPEC §3). The one implementation lives in `wasm/`.
 * @module
 */
import { ChainError } from "./errors.ts";
import { fromHexStrict, toHex } from "./encoding.ts";

/** The hash algorithms a ledger may pick at creation. */
export type HashAlg = "b3" | "sha256";

/** All supported algorithms. */
export const HASH_ALGS: readonly HashAlg[] = ["b3", "sha256"];

/** Bytes in every digest. */
export const DIGEST_BYTES = 32;

/** A 32-byte hash function, synchronous, reused across calls. */
export interface Hasher {
  /** Which algorithm this is. */
  readonly alg: HashAlg;
  /** H(data) as a fresh 32-byte array. */
  digest(data: Uint8Array): Uint8Array;
  /** Writes H(data) into the first 32 bytes of `out`, allocating nothing; `out` may overlap `data`. */
  digestInto(data: Uint8Array, out: Uint8Array): void;
  /** H of each input, in order: one buffer for all the digests, each returned as a 32-byte view of it. */
  digestMany(inputs: readonly Uint8Array[]): Uint8Array[];
}

/**
 * True when `alg` names a supported algorithm.
 *
 * @example
 * ```ts
 * import { isHashAlg } from "../mod.ts";
 * isHashAlg("b3"); // true
 * ```
 */
export function isHashAlg(alg: string): alg is HashAlg {
  return alg === "b3" || alg === "sha256";
}

/**
 * `"<alg>:<hex>"` of a digest.
 *
 * @example
 * ```ts
 * import { formatHash } from "../mod.ts";
 * formatHash("b3", new Uint8Array(32)); // "b3:0000…0000"
 * ```
 */
export function formatHash(alg: HashAlg, digest: Uint8Array): string {
  return `${alg}:${toHex(digest)}`;
}

/**
 * The genesis `prev` of a chain: `"<alg>:0"`.
 *
 * @example
 * ```ts
 * import { genesisHash } from "../mod.ts";
 * genesisHash("sha256"); // "sha256:0"
 * ```
 */
export function genesisHash(alg: HashAlg): string {
  return `${alg}:0`;
}

/** A parsed tagged hash. */
export interface TaggedHash {
  readonly alg: HashAlg;
  readonly digest: Uint8Array;
}

/**
 * Parses `"<alg>:<64 hex>"`; throws `BAD_HASH` for anything else (genesis included).
 *
 * @example
 * ```ts
 * import { parseHash } from "../mod.ts";
 * parseHash(`b3:${"ab".repeat(32)}`).alg; // "b3"
 * ```
 */
export function parseHash(text: string): TaggedHash {
  const colon = text.indexOf(":");
  const alg = text.slice(0, colon);
  const digest = colon > 0 ? fromHexStrict(text.slice(colon + 1)) : undefined;
  if (!isHashAlg(alg) || digest === undefined || digest.length !== DIGEST_BYTES) {
    throw new ChainError("BAD_HASH", `not a hash string: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return { alg, digest };
}
