/**
 * Messages between a ledger and its seal worker.
 * @module
 */
import type { HashAlg } from "../core/hash.ts";
import type { ChainHead, RecordDraft } from "../core/record.ts";
import type { SealContext } from "./chain_sealer.ts";
import type { PackedOutcomes } from "./seal_outcomes.ts";

/** From the ledger to the worker: one chunk of a job's drafts, in order. */
export interface SealRequest {
  readonly job: number;
  readonly drafts: readonly RecordDraft[];
  /** With a job's first chunk: how to seal it and the stored head of every chain it names. */
  readonly start?: {
    readonly alg: HashAlg;
    readonly context: SealContext;
    readonly heads: readonly [string, ChainHead][];
  };
}

/**
 * From the worker: a chunk's outcomes, or word that it stopped the job at a draft it could not
 * seal; the ledger then seals from there in line, which throws that draft's own typed error.
 */
export type SealReply =
  | { readonly job: number; readonly packed: PackedOutcomes }
  | { readonly job: number; readonly failed: true };
