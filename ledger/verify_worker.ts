/**
 * The entry of a parallel verification worker (ledger/verify_pool.ts). It opens its own read-only
 * connection to the ledger's database and checks the chunks it is sent, one read transaction
 * each. It runs from a bundled copy of this module graph (ledger/verify_worker_source.ts), so
 * starting it reads no source file: the worker needs no permission beyond the database's.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { loadHasher } from "../wasm/hasher.ts";
import { ChunkVerifier } from "./verify_chunk.ts";
import type { WorkerReply, WorkerRequest } from "./verify_protocol.ts";

interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let opened: Promise<{ db: DatabaseSync; verifier: ChunkVerifier }> | undefined;

scope.onmessage = async (event) => {
  const request = event.data;
  try {
    if (request.type === "open") {
      opened = open(request);
      await opened;
      scope.postMessage({ type: "ready" });
      return;
    }
    if (opened === undefined) throw new Error("chunk before open");
    const { db, verifier } = await opened;
    db.exec("BEGIN");
    try {
      const result = verifier.verify(request.from, request.to, request.checkBlooms);
      scope.postMessage({ type: "chunk", id: request.id, result }, [result.digests.buffer as ArrayBuffer]);
    } finally {
      db.exec("COMMIT");
    }
  } catch (error) {
    scope.postMessage({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
};

async function open(
  request: Extract<WorkerRequest, { type: "open" }>,
): Promise<{ db: DatabaseSync; verifier: ChunkVerifier }> {
  const hasher = await loadHasher(request.alg);
  const db = new DatabaseSync(request.path, { readOnly: true });
  db.exec(`PRAGMA busy_timeout = 10000`);
  return { db, verifier: new ChunkVerifier(db, { hasher, alg: request.alg, bounds: request.bounds }) };
}
