/**
 * Where verification gets its checked chunks: computed in line on the scanning connection, or by
 * a pool of workers, each with its own read-only connection (WAL lets readers run side by side),
 * a chunk each at a time, two in flight per worker, handed back in leaf order.
 *
 * Workers start from the bundled source in ledger/verify_worker_source.ts through a `blob:` URL,
 * so they read no file but the database: the CLI's `--allow-read=<ledger dir>` is enough. The
 * bundle is imported by a literal specifier, so `deno compile` still embeds it.
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { CHUNK_LEAVES, type ChunkResult, ChunkVerifier, type RecordContext } from "./verify_chunk.ts";
import type { WorkerReply, WorkerRequest } from "./verify_protocol.ts";

/** Yields the checked chunks of leaves [from, to), in order. */
export interface ChunkSource {
  /** Workers checking chunks (0: in line). */
  readonly workers: number;
  chunks(from: number, to: number, checkBlooms: boolean): AsyncGenerator<ChunkResult>;
  close(): void;
}

/** Chunks checked on `db` itself, inside the caller's read transaction. */
export function inlineChunks(db: DatabaseSync, context: RecordContext): ChunkSource {
  const verifier = new ChunkVerifier(db, context);
  return {
    workers: 0,
    async *chunks(from, to, checkBlooms) {
      for (let start = from; start < to; start += CHUNK_LEAVES) {
        yield verifier.verify(start, Math.min(start + CHUNK_LEAVES, to), checkBlooms);
      }
    },
    close() {},
  };
}

/** Chunks per worker sent ahead of the one being read. */
const IN_FLIGHT_PER_WORKER = 2;

/** A pool of `count` verification workers over the database file at `path`. */
export class WorkerChunks implements ChunkSource {
  private readonly pending = new Map<number, PromiseWithResolvers<ChunkResult>>();
  private nextId = 0;

  private constructor(private readonly pool: Worker[]) {
    for (const worker of pool) {
      worker.onmessage = (event: MessageEvent<WorkerReply>) => this.receive(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        this.failAll(new Error(`verification worker failed: ${event.message}`));
      };
    }
  }

  get workers(): number {
    return this.pool.length;
  }

  /** Starts `count` workers on the database at `path`; rejects if any cannot open it. */
  static async start(path: string, context: RecordContext, count: number): Promise<WorkerChunks> {
    // Loaded here, not at start-up: the bundle (~47 KB) is only needed by a parallel verify.
    const { VERIFY_WORKER_SOURCE } = await import("./verify_worker_source.ts");
    const url = URL.createObjectURL(new Blob([VERIFY_WORKER_SOURCE], { type: "text/javascript" }));
    const pool: Worker[] = [];
    try {
      for (let i = 0; i < count; i++) {
        pool.push(new Worker(url, { type: "module", name: `smem-verify-${i}` }));
      }
      await Promise.all(pool.map((worker) => opened(worker, path, context)));
      return new WorkerChunks(pool);
    } catch (error) {
      for (const worker of pool) worker.terminate();
      throw error;
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  async *chunks(from: number, to: number, checkBlooms: boolean): AsyncGenerator<ChunkResult> {
    const starts: number[] = [];
    for (let start = from; start < to; start += CHUNK_LEAVES) starts.push(start);
    const queued: Promise<ChunkResult>[] = [];
    const ahead = this.pool.length * IN_FLIGHT_PER_WORKER;
    let sent = 0;
    const send = () => {
      const start = starts[sent];
      queued.push(
        this.request(
          this.pool[sent % this.pool.length],
          start,
          Math.min(start + CHUNK_LEAVES, to),
          checkBlooms,
        ),
      );
      sent++;
    };
    while (sent < starts.length && sent < ahead) send();
    for (let read = 0; read < starts.length; read++) {
      const result = await queued[read];
      if (sent < starts.length) send();
      yield result;
      if (result.failure !== undefined) return;
    }
  }

  close(): void {
    for (const worker of this.pool) worker.terminate();
    this.failAll(new Error("verification stopped"));
  }

  private request(worker: Worker, from: number, to: number, checkBlooms: boolean): Promise<ChunkResult> {
    const id = this.nextId++;
    const reply = Promise.withResolvers<ChunkResult>();
    this.pending.set(id, reply);
    reply.promise.catch(() => {}); // a chunk nobody awaits any more (after a failure) may reject on close
    const request: WorkerRequest = { type: "chunk", id, from, to, checkBlooms };
    worker.postMessage(request);
    return reply.promise;
  }

  private receive(reply: WorkerReply): void {
    if (reply.type === "chunk") {
      this.pending.get(reply.id)?.resolve(reply.result);
      this.pending.delete(reply.id);
    } else if (reply.type === "error") {
      this.failAll(new Error(reply.message));
    }
  }

  private failAll(error: Error): void {
    for (const reply of this.pending.values()) reply.reject(error);
    this.pending.clear();
  }
}

function opened(worker: Worker, path: string, context: RecordContext): Promise<void> {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  worker.onmessage = (event: MessageEvent<WorkerReply>) => {
    if (event.data.type === "ready") resolve();
    else reject(new Error(event.data.type === "error" ? event.data.message : "unexpected reply"));
  };
  worker.onerror = (event) => {
    event.preventDefault();
    reject(new Error(event.message));
  };
  const request: WorkerRequest = { type: "open", path, alg: context.alg, bounds: context.bounds };
  worker.postMessage(request);
  return promise;
}
