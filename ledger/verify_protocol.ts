/**
 * Messages between the verification pool and its workers.
 * @module
 */
import type { RecordBounds } from "../core/canonical.ts";
import type { HashAlg } from "../core/hash.ts";
import type { ChunkResult } from "./verify_chunk.ts";

/** From the pool to a worker. */
export type WorkerRequest =
  | { readonly type: "open"; readonly path: string; readonly alg: HashAlg; readonly bounds: RecordBounds }
  | {
    readonly type: "chunk";
    readonly id: number;
    readonly from: number;
    readonly to: number;
    readonly checkBlooms: boolean;
  };

/** From a worker to the pool. */
export type WorkerReply =
  | { readonly type: "ready" }
  | { readonly type: "chunk"; readonly id: number; readonly result: ChunkResult }
  | { readonly type: "error"; readonly message: string };
