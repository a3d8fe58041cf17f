/**
 * Operations: `GET /healthz`, `GET /readyz`, `GET /metrics`, `POST /v1/verify` and
 * `GET /v1/status` (what the dashboard shows).
 * @module
 */
import { Hono } from "hono";
import { sealedText } from "../core/record.ts";
import type { ApiDeps } from "./deps.ts";
import { errorBody } from "./errors.ts";

/** How long `/readyz` waits for the database write lock. */
const PROBE_TIMEOUT_MS = 2000;
/** Records listed by `/v1/status`. */
const RECENT = 10;

/** Health and metrics routes (no auth: they reveal no record). */
export function probeRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/readyz", async (c) => {
    const disk = await deps.intake.disk();
    const checks = {
      config: true,
      intake_open: deps.intake.open,
      queue_bounded: deps.intake.depth < deps.intake.capacity,
      database_writable: await writable(deps),
      key_loaded: deps.writer.canSign,
      disk_has_room: disk.hasRoom,
      disk_syncs: disk.syncs,
    };
    const ready = Object.values(checks).every((ok) => ok === true);
    return c.json({ ready, checks }, ready ? 200 : 503);
  });
  app.get(
    "/metrics",
    async (c) => c.text(await deps.metrics.text(), 200, { "content-type": deps.metrics.contentType }),
  );
  return app;
}

/** Verification and status routes. */
export function statusRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  app.post("/verify", async (c) => {
    const status = await deps.verifier.run();
    return c.json(status);
  });
  app.get("/status", async (c) => {
    const latest = deps.reader.latestCheckpoint();
    const size = latest.checkpoint.size;
    const disk = await deps.intake.disk();
    const recent = size === 0
      ? []
      : deps.reader.query({ fromIndex: Math.max(0, size - RECENT), limit: RECENT })
        .records;
    return c.json({
      origin: deps.reader.meta.origin,
      alg: deps.reader.meta.alg,
      size,
      checkpoint: { size, note: latest.note },
      cosigned: newestCosigned(deps),
      queue: { depth: deps.intake.depth, capacity: deps.intake.capacity },
      disk_has_room: disk.hasRoom,
      disk_syncs: disk.syncs,
      verify: deps.verifier.status,
      recent: recent.reverse().map((record) => ({
        index: record.index,
        record: JSON.parse(sealedText(record)),
      })),
      time_ms: Date.now(),
    });
  });
  return app;
}

/** The newest checkpoint a witness cosigned and its witnesses' names, or null. */
function newestCosigned(deps: ApiDeps): { size: number; witnesses: string[] } | null {
  const size = deps.reader.newestCosignedSize();
  if (size === undefined) return null;
  return { size, witnesses: deps.reader.cosignaturesAt(size).map((c) => c.witness) };
}

async function writable(deps: ApiDeps): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((
    resolve,
  ) => (timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS)));
  const probe = deps.writer.probeWritable().then(() => true, (error) => {
    console.error(`readyz: database not writable: ${errorBody(error).error.message}`);
    return false;
  });
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
