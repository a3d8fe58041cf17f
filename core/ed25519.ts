/**
 * Ed25519 (RFC 8032) through three engines that produce identical signatures: `node:crypto`
 * (native and synchronous), WebCrypto (native, asynchronous: each call is a round trip through the
 * event loop) and `@noble/ed25519` (audited pure JS). Which one does each operation is chosen by measurement
 * (docs/CRYPTO.md); both stay available for cross-checking. Verification is strict whatever the
 * engine: the public key must be a canonical encoding of a point of large order, and a signature
 * must have canonical R and S < L, checked here before the engine sees them.
 * @module
 */
import * as noble from "@noble/ed25519";
import type { KeyObject } from "node:crypto";
import { KeyError } from "./errors.ts";

type NodeCrypto = typeof import("node:crypto");
let nodeCrypto: NodeCrypto | undefined;

/** `node:crypto`, loaded on first use: importing it costs ~25 ms of start-up that `smem status` never needs. */
async function loadNodeCrypto(): Promise<NodeCrypto> {
  nodeCrypto ??= await import("node:crypto");
  return nodeCrypto;
}

/** Which implementation performs an operation. */
export type Ed25519Engine = "node" | "webcrypto" | "noble";

/** Engines chosen by bench/crypto.bench.ts (see docs/CRYPTO.md). */
export const DEFAULT_ENGINES: { readonly sign: Ed25519Engine; readonly verify: Ed25519Engine } = {
  sign: "node",
  verify: "node",
};

const PKCS8_ED25519_PREFIX = Uint8Array.fromHex("302e020100300506032b657004220420");
const SPKI_ED25519_PREFIX = Uint8Array.fromHex("302a300506032b6570032100");
/** The group order L, little-endian. */
const ORDER_L = Uint8Array.fromHex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
/** The field prime p = 2^255 − 19, little-endian. */
const FIELD_P = Uint8Array.fromHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");

/**
 * Public key of a 32-byte seed, derived natively: the seed is imported into WebCrypto and the
 * public half read from its JWK export (0.3 ms, where noble's first call takes ~45 ms of
 * BigInt precomputation — most of a CLI start). Tests cross-check it against noble.
 */
export async function publicKeyFromSeed(seed: Uint8Array): Promise<Uint8Array> {
  checkLength(seed, 32, "seed");
  const key = await crypto.subtle.importKey(
    "pkcs8",
    buffer(concat(PKCS8_ED25519_PREFIX, seed)),
    { name: "Ed25519" },
    true,
    ["sign"],
  );
  const { x } = await crypto.subtle.exportKey("jwk", key);
  if (x === undefined) throw new KeyError("BAD_KEY", "WebCrypto exported no public key");
  return Uint8Array.fromBase64(x, { alphabet: "base64url" });
}

/** Signs with one seed; keeps the engine's key object so repeated signing is cheap. */
export class Ed25519Signer {
  private webKey: Promise<CryptoKey> | undefined;
  private nodeKey: KeyObject | undefined;

  constructor(private readonly seed: Uint8Array, readonly engine: Ed25519Engine = DEFAULT_ENGINES.sign) {
    checkLength(seed, 32, "seed");
  }

  /** The 64-byte signature of `message`. */
  async sign(message: Uint8Array): Promise<Uint8Array> {
    if (this.engine === "noble") return noble.signAsync(message, this.seed);
    if (this.engine === "node") {
      const { createPrivateKey, sign } = nodeCrypto ?? await loadNodeCrypto();
      this.nodeKey ??= createPrivateKey({
        key: Buffer.from(concat(PKCS8_ED25519_PREFIX, this.seed)),
        format: "der",
        type: "pkcs8",
      });
      return new Uint8Array(sign(null, message, this.nodeKey));
    }
    this.webKey ??= crypto.subtle.importKey(
      "pkcs8",
      buffer(concat(PKCS8_ED25519_PREFIX, this.seed)),
      { name: "Ed25519" },
      false,
      ["sign"],
    );
    return new Uint8Array(await crypto.subtle.sign("Ed25519", await this.webKey, buffer(message)));
  }
}

/** Verifies signatures under one public key, strictly. */
export class Ed25519Verifier {
  private webKey: Promise<CryptoKey> | undefined;
  private nodeKey: KeyObject | undefined;

  /** Throws `SMALL_ORDER_KEY` or `BAD_KEY` for a key no honest signer could hold. */
  constructor(readonly publicKey: Uint8Array, readonly engine: Ed25519Engine = DEFAULT_ENGINES.verify) {
    checkLength(publicKey, 32, "public key");
    if (!isCanonicalFieldElement(publicKey)) {
      throw new KeyError("BAD_KEY", "public key is not a canonical point encoding");
    }
    let point: noble.Point;
    try {
      point = noble.Point.fromBytes(publicKey, false);
    } catch {
      throw new KeyError("BAD_KEY", "public key is not a point on Ed25519");
    }
    if (point.isSmallOrder()) throw new KeyError("SMALL_ORDER_KEY", "public key has small order");
  }

  /** True when `signature` is a canonical signature of `message` under this key. */
  async verify(message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    if (signature.length !== 64) return false;
    const r = signature.subarray(0, 32);
    const s = signature.subarray(32);
    if (!isCanonicalFieldElement(r) || !lessThanLittleEndian(s, ORDER_L)) return false;
    if (this.engine === "noble") {
      return noble.verifyAsync(signature, message, this.publicKey, { zip215: false });
    }
    if (this.engine === "node") {
      const { createPublicKey, verify } = nodeCrypto ?? await loadNodeCrypto();
      this.nodeKey ??= createPublicKey({
        key: Buffer.from(concat(SPKI_ED25519_PREFIX, this.publicKey)),
        format: "der",
        type: "spki",
      });
      return verify(null, message, this.nodeKey, signature);
    }
    this.webKey ??= crypto.subtle.importKey("raw", buffer(this.publicKey), { name: "Ed25519" }, false, [
      "verify",
    ]);
    return crypto.subtle.verify("Ed25519", await this.webKey, buffer(signature), buffer(message));
  }
}

/** A point encoding is canonical when its y (the low 255 bits) is below p. */
function isCanonicalFieldElement(encoding: Uint8Array): boolean {
  const y = encoding.slice();
  y[31] &= 0x7f;
  return lessThanLittleEndian(y, FIELD_P);
}

function lessThanLittleEndian(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = a.length - 1; i >= 0; i--) {
    if (a[i] !== b[i]) return a[i] < b[i];
  }
  return false;
}

function checkLength(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.length !== length) {
    throw new KeyError("BAD_KEY", `${what} must be ${length} bytes, got ${bytes.length}`);
  }
}

/** WebCrypto's types want ArrayBuffer-backed views; SecuraMem never uses shared memory. */
function buffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
