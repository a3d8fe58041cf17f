import assert from "node:assert/strict";
import * as noble from "@noble/ed25519";
import { type Ed25519Engine, Ed25519Signer, Ed25519Verifier, publicKeyFromSeed } from "../core/ed25519.ts";
import { KeyError } from "../core/errors.ts";
import { loadVector } from "./_vectors.ts";

interface Ed25519Vectors {
  cases: {
    secret_key_seed_hex: string;
    public_key_hex: string;
    message_hex: string;
    signature_hex: string;
  }[];
}

const { cases } = loadVector<Ed25519Vectors>("public/ed25519.json");
const engines: Ed25519Engine[] = ["node", "webcrypto", "noble"];
const ORDER_L = 2n ** 252n + 27742317777372353535851937790883648493n;

function littleEndian(n: bigint, bytes = 32): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

function fromLittleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

Deno.test("ed25519: both engines produce the RFC 8032 signatures byte for byte and verify them", async () => {
  for (const c of cases) {
    const seed = Uint8Array.fromHex(c.secret_key_seed_hex);
    const message = Uint8Array.fromHex(c.message_hex);
    assert.equal((await publicKeyFromSeed(seed)).toHex(), c.public_key_hex);
    assert.equal((await noble.getPublicKeyAsync(seed)).toHex(), c.public_key_hex, "noble agrees");
    for (const engine of engines) {
      const signature = await new Ed25519Signer(seed, engine).sign(message);
      assert.equal(signature.toHex(), c.signature_hex, `${engine} signs`);
      for (const verifierEngine of engines) {
        const verifier = new Ed25519Verifier(Uint8Array.fromHex(c.public_key_hex), verifierEngine);
        assert.equal(await verifier.verify(message, signature), true, `${verifierEngine} verifies ${engine}`);
        const wrong = message.length === 0
          ? new Uint8Array([0])
          : message.map((b, i) => (i === 0 ? b ^ 1 : b));
        assert.equal(await verifier.verify(wrong, signature), false);
      }
    }
  }
});

Deno.test("ed25519: a non-canonical S (S + L) is rejected by both engines", async () => {
  const c = cases[1];
  const signature = Uint8Array.fromHex(c.signature_hex);
  const s = fromLittleEndian(signature.subarray(32));
  const malleated = new Uint8Array(64);
  malleated.set(signature.subarray(0, 32));
  malleated.set(littleEndian(s + ORDER_L), 32);
  for (const engine of engines) {
    const verifier = new Ed25519Verifier(Uint8Array.fromHex(c.public_key_hex), engine);
    assert.equal(await verifier.verify(Uint8Array.fromHex(c.message_hex), malleated), false, engine);
  }
});

Deno.test("ed25519: a non-canonical R encoding and wrong lengths are rejected", async () => {
  const c = cases[1];
  const signature = Uint8Array.fromHex(c.signature_hex);
  const badR = signature.slice();
  badR.set(Uint8Array.fromHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), 0);
  for (const engine of engines) {
    const verifier = new Ed25519Verifier(Uint8Array.fromHex(c.public_key_hex), engine);
    assert.equal(await verifier.verify(Uint8Array.fromHex(c.message_hex), badR), false);
    assert.equal(await verifier.verify(Uint8Array.fromHex(c.message_hex), signature.subarray(0, 63)), false);
  }
});

Deno.test("ed25519: small-order and non-canonical public keys are refused", () => {
  const smallOrder = [
    "0100000000000000000000000000000000000000000000000000000000000000", // identity
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
    "0000000000000000000000000000000000000000000000000000000000000080", // order 4
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
  ];
  for (const hex of smallOrder) {
    assert.throws(
      () => new Ed25519Verifier(Uint8Array.fromHex(hex)),
      (e: unknown) => e instanceof KeyError && e.code === "SMALL_ORDER_KEY",
      hex,
    );
  }
  const nonCanonical = "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
  assert.throws(() => new Ed25519Verifier(Uint8Array.fromHex(nonCanonical)), { code: "BAD_KEY" });
  assert.throws(() => new Ed25519Verifier(new Uint8Array(31)), { code: "BAD_KEY" });
});
