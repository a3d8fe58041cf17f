/**
 * The seal worker, seen from the ledger: a large batch's drafts are sent in chunks to a worker
 * that canonicalizes and hashes them (ledger/seal_worker.ts) while this thread stores the chunk
 * sealed before, so a batch uses both cores. Sealing is deterministic, so a worker that stops
 * early (a draft it cannot seal, a crash, a draft it cannot be sent) costs nothing but time: the
 * ledger seals the rest in line and throws the same typed error it always would.
 *
 * The worker starts from the bundled source in ledger/seal_worker_source.ts through a `blob:` URL
 * and reads no file. A live worker keeps a process running, so one idle for IDLE_MS stops itself
 * (the next large batch starts another): a process that never closes its ledger still exits. (A
 * `node:worker_threads` worker could be unreferenced instead, but Deno's walks every message it
 * receives in JavaScript, which cost more than the sealing it took off the main thread.)
 * @module
 */
import type { RecordDraft } from "../core/record.ts";
import type { SealOutcome } from "./chain_sealer.ts";
import { unpackOutcomes } from "./seal_outcomes.ts";
import type { SealReply, SealRequest } from "./seal_protocol.ts";

/** Drafts a chunk: the first is small, since storing waits for it; each later one is sealed while the one before is stored. */
const FIRST_CHUNK_DRAFTS = 16;
const CHUNK_DRAFTS = 64;

/** Milliseconds an idle worker waits for the next job before it stops. */
const IDLE_MS = 1000;

/** Replies of the job being read, and the reader waiting for the next one. */
interface JobState {
  readonly job: number;
  readonly replies: SealReply[];
  wake?: () => void;
}

/** One worker sealing one job at a time (the ledger's transactions are serialized). */
export class SealWorker {
  private nextJob = 0;
  private current: JobState | undefined;
  private stopped = false;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<SealReply>) => this.receive(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.close();
    };
    this.idle();
  }

  /** Starts the worker from its bundled source. */
  static async start(): Promise<SealWorker> {
    // Loaded here, not at start-up: the bundle is only needed by a large batch.
    const { SEAL_WORKER_SOURCE } = await import("./seal_worker_source.ts");
    const url = URL.createObjectURL(new Blob([SEAL_WORKER_SOURCE], { type: "text/javascript" }));
    try {
      return new SealWorker(new Worker(url, { type: "module", name: "smem-seal" }));
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  /** False once the worker has failed, idled out or was closed. */
  get running(): boolean {
    return !this.stopped;
  }

  /**
   * The outcomes of `drafts`, in order, chunk by chunk. Ends early, having yielded fewer outcomes
   * than drafts, when the worker stops: the caller seals the rest in line.
   */
  async *seal(
    drafts: readonly RecordDraft[],
    start: SealRequest["start"],
  ): AsyncGenerator<readonly SealOutcome[]> {
    const state: JobState = { job: this.nextJob++, replies: [] };
    this.current = state;
    clearTimeout(this.idleTimer);
    try {
      if (!this.send(state.job, drafts, start)) return;
      for (let received = 0; received < drafts.length;) {
        const reply = await this.nextReply(state);
        if (reply === undefined || !("packed" in reply)) return;
        const outcomes = unpackOutcomes(reply.packed);
        received += outcomes.length;
        yield outcomes;
      }
    } finally {
      this.current = undefined;
      this.idle();
    }
  }

  /** Stops the worker. */
  close(): void {
    clearTimeout(this.idleTimer);
    this.stopped = true;
    this.worker.terminate();
    this.current?.wake?.();
  }

  /** Stops the worker if no job comes within IDLE_MS. */
  private idle(): void {
    if (this.stopped) return;
    const timer = setTimeout(() => this.close(), IDLE_MS);
    Deno.unrefTimer(timer);
    this.idleTimer = timer;
  }

  /** Posts every chunk of a job; false when a draft cannot be cloned into the worker. */
  private send(job: number, drafts: readonly RecordDraft[], start: SealRequest["start"]): boolean {
    try {
      for (let at = 0; at < drafts.length;) {
        const end = at + (at === 0 ? FIRST_CHUNK_DRAFTS : CHUNK_DRAFTS);
        const request: SealRequest = {
          job,
          drafts: drafts.slice(at, end),
          start: at === 0 ? start : undefined,
        };
        this.worker.postMessage(request);
        at = end;
      }
      return true;
    } catch {
      return false;
    }
  }

  private async nextReply(state: JobState): Promise<SealReply | undefined> {
    while (state.replies.length === 0) {
      if (this.stopped) return undefined;
      await new Promise<void>((resolve) => state.wake = resolve);
    }
    return state.replies.shift();
  }

  private receive(reply: SealReply): void {
    const state = this.current;
    if (state === undefined || reply.job !== state.job) return;
    state.replies.push(reply);
    state.wake?.();
  }
}
