/**
 * The entry of the seal worker (ledger/seal_pool.ts): it canonicalizes and hashes a job's drafts
 * chunk by chunk while the ledger stores the chunk before. It runs from a bundled copy of this
 * module graph (ledger/seal_worker_source.ts) and touches no file.
 * @module
 */
import { loadHasher } from "../wasm/hasher.ts";
import { ChainSealer, type SealOutcome } from "./chain_sealer.ts";
import { packOutcomes } from "./seal_outcomes.ts";
import type { SealReply, SealRequest } from "./seal_protocol.ts";

interface WorkerScope {
  onmessage: ((event: MessageEvent<SealRequest>) => void) | null;
  postMessage(message: SealReply, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
/** The job being sealed; a job whose chunk failed stays failed. */
let current: { job: number; sealer: ChainSealer; failed: boolean } | undefined;

/** Requests are handled one after another: a job's first chunk may wait for its hasher. */
let handled: Promise<void> = Promise.resolve();
scope.onmessage = ({ data: request }) => {
  handled = handled.then(() => handle(request)).catch(() => fail(request.job));
};

async function handle(request: SealRequest): Promise<void> {
  if (request.start !== undefined) {
    const { alg, context, heads } = request.start;
    const sealer = new ChainSealer(context, await loadHasher(alg), new Map(heads), (writerId, stream) => {
      throw new Error(`no head sent for chain ${writerId}/${stream}`);
    });
    current = { job: request.job, sealer, failed: false };
  }
  if (current === undefined || current.job !== request.job || current.failed) return;
  const outcomes: SealOutcome[] = [];
  for (const draft of request.drafts) outcomes.push(current.sealer.seal(draft));
  const packed = packOutcomes(outcomes);
  scope.postMessage({ job: request.job, packed }, [packed.bytes]);
}

/** Stops `job` at its first draft not sealed: later chunks of it are dropped. */
function fail(job: number): void {
  if (current?.job === job) current.failed = true;
  scope.postMessage({ job, failed: true });
}
