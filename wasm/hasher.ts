/**
 * The one hashing engine (SPEC §3): hash-wasm's BLAKE3 and SHA-256, each instantiated once per
 * process and reused for every digest. The WASM binaries are inlined in the hash-wasm package,
 * so `deno compile` embeds them and nothing is read from disk at run time.
 * @module
 */
import type { IHasher } from "hash-wasm";
import type { HashAlg, Hasher } from "../core/hash.ts";

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
  // Loaded on first use: parsing hash-wasm takes ~35 ms, which commands that hash nothing skip.
  const { createBLAKE3, createSHA256 } = await import("hash-wasm");
  const engine = alg === "b3" ? await createBLAKE3(256) : await createSHA256();
  return new WasmHasher(alg, engine);
}

class WasmHasher implements Hasher {
  constructor(readonly alg: HashAlg, private readonly engine: IHasher) {}

  digest(data: Uint8Array): Uint8Array {
    const engine = this.engine;
    engine.init();
    engine.update(data);
    return engine.digest("binary");
  }

  digestMany(inputs: readonly Uint8Array[]): Uint8Array[] {
    const out = new Array<Uint8Array>(inputs.length);
    for (let i = 0; i < inputs.length; i++) out[i] = this.digest(inputs[i]);
    return out;
  }
}
