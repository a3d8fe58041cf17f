/**
 * The one hashing engine (SPEC §3): hash-wasm's BLAKE3 and SHA-256 WebAssembly binaries
 * (wasm/binaries.ts), each instantiated once per process and called through their exports. The
 * binaries are inlined as base64, so `deno compile` embeds them and nothing is read from disk.
 *
 * Calling the exports directly, rather than through hash-wasm's JS wrapper, writes the input into
 * the module's buffer, hashes in one call (`Hash_Calculate`) and copies the 32 bytes out: a 65-byte
 * node hash costs ~0.5 µs here against ~1.4 µs through the wrapper, which allocates a fresh
 * `ArrayBuffer` for every result (~0.6 µs in this runtime) and makes three calls.
 * @module
 */
import { ByteSlab } from "../core/byte_slab.ts";
import { DIGEST_BYTES, type HashAlg, type Hasher } from "../core/hash.ts";
import { BLAKE3_WASM_BASE64, SHA256_WASM_BASE64 } from "./binaries.ts";

/** The exports every hash-wasm binary has (see hash-wasm's `src/*.c`). */
interface HashExports {
  readonly memory: WebAssembly.Memory;
  Hash_GetBuffer(): number;
  Hash_Init(param: number): void;
  Hash_Update(length: number): void;
  Hash_Final(param: number): void;
  Hash_Calculate(length: number, initParam: number, finalParam: number): void;
}

/** How each algorithm's binary is driven: its init and final parameters, as hash-wasm passes them. */
const ENGINES: Record<HashAlg, { base64: string; initParam: number; finalParam: number }> = {
  b3: { base64: BLAKE3_WASM_BASE64, initParam: 0, finalParam: DIGEST_BYTES },
  sha256: { base64: SHA256_WASM_BASE64, initParam: 256, finalParam: 0 },
};

/** Bytes of the module's I/O buffer that one call may use (hash-wasm's MAX_HEAP). */
const BUFFER_BYTES = 16 * 1024;

/** Where digests are cut from: 128 to a slab (core/byte_slab.ts says why). */
const DIGESTS = new ByteSlab(128 * DIGEST_BYTES);

const instances = new Map<HashAlg, Promise<Hasher>>();

/**
 * The process-wide hasher for `alg`, created on first use.
 *
 * @example
 * ```ts
 * const b3 = await loadHasher("b3");
 * b3.digest(new Uint8Array()); // af1349b9… (BLAKE3 of the empty string)
 * ```
 */
export function loadHasher(alg: HashAlg): Promise<Hasher> {
  let hasher = instances.get(alg);
  if (hasher === undefined) {
    hasher = instantiate(alg);
    instances.set(alg, hasher);
  }
  return hasher;
}

async function instantiate(alg: HashAlg): Promise<Hasher> {
  const { base64, initParam, finalParam } = ENGINES[alg];
  const { instance } = await WebAssembly.instantiate(Uint8Array.fromBase64(base64), {});
  return new WasmHasher(alg, instance.exports as unknown as HashExports, initParam, finalParam);
}

class WasmHasher implements Hasher {
  /** The module's I/O buffer: input before a call, the digest at its start after. */
  private readonly io: Uint8Array;
  private readonly result: Uint8Array;

  constructor(
    readonly alg: HashAlg,
    private readonly engine: HashExports,
    private readonly initParam: number,
    private readonly finalParam: number,
  ) {
    this.io = new Uint8Array(engine.memory.buffer, engine.Hash_GetBuffer(), BUFFER_BYTES);
    this.result = this.io.subarray(0, DIGEST_BYTES);
  }

  digest(data: Uint8Array): Uint8Array {
    const out = DIGESTS.take(DIGEST_BYTES);
    this.digestInto(data, out);
    return out;
  }

  digestMany(inputs: readonly Uint8Array[]): Uint8Array[] {
    const all = new Uint8Array(inputs.length * DIGEST_BYTES);
    const out = new Array<Uint8Array>(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      const digest = all.subarray(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES);
      this.digestInto(inputs[i], digest);
      out[i] = digest;
    }
    return out;
  }

  digestInto(data: Uint8Array, out: Uint8Array): void {
    const engine = this.engine;
    if (data.length <= BUFFER_BYTES) {
      this.io.set(data);
      engine.Hash_Calculate(data.length, this.initParam, this.finalParam);
    } else {
      engine.Hash_Init(this.initParam);
      for (let at = 0; at < data.length; at += BUFFER_BYTES) {
        const part = data.subarray(at, at + BUFFER_BYTES);
        this.io.set(part);
        engine.Hash_Update(part.length);
      }
      engine.Hash_Final(this.finalParam);
    }
    out.set(this.result);
  }
}
