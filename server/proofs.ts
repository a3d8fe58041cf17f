/**
 * `GET /v1/checkpoint` (the signed note, as text; with `since=N`, as a checkpoint extension from
 * N leaves, `core/checkpoint_extension.ts`), `GET /v1/proof/inclusion?idx&size` and
 * `GET /v1/proof/consistency?from&to`. Sizes default to the newest checkpoint's; a proof is
 * given only against a size some stored checkpoint signs.
 * @module
 */
import { Hono } from "hono";
import { toBase64 } from "../core/encoding.ts";
import type { Ledger, StoredCheckpoint } from "../ledger/ledger.ts";
import type { ApiDeps } from "./deps.ts";
import { ServerError } from "./errors.ts";
import { countParam, requiredCount } from "./params.ts";

/** The checkpoint and proof routes. */
export function proofRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  app.get("/checkpoint", (c) => {
    const stored = signedCheckpoint(deps.reader, countParam(c.req.query("size"), "size"));
    const since = countParam(c.req.query("since"), "since");
    const text = since === undefined
      ? stored.note
      : deps.reader.checkpointExtension(since, stored.checkpoint.size);
    return c.text(text, 200, { "content-type": "text/plain; charset=utf-8" });
  });
  app.get("/proof/inclusion", (c) => {
    const index = requiredCount(c.req.query("idx"), "idx");
    const stored = signedCheckpoint(deps.reader, countParam(c.req.query("size"), "size"));
    const size = stored.checkpoint.size;
    const proof = deps.reader.inclusionProof(index, size);
    const leaf = deps.reader.record(index);
    return c.json({
      index,
      size,
      self_hash: leaf.selfHash,
      proof: proof.map(toBase64),
      checkpoint: stored.note,
    });
  });
  app.get("/proof/consistency", (c) => {
    const from = requiredCount(c.req.query("from"), "from");
    const stored = signedCheckpoint(deps.reader, countParam(c.req.query("to"), "to"));
    const to = stored.checkpoint.size;
    const proof = deps.reader.consistencyProof(from, to);
    return c.json({ from, to, proof: proof.map(toBase64), checkpoint: stored.note });
  });
  return app;
}

/** The stored checkpoint of `size`, or the newest. */
function signedCheckpoint(ledger: Ledger, size: number | undefined): StoredCheckpoint {
  if (size === undefined) return ledger.latestCheckpoint();
  const stored = ledger.checkpointAt(size);
  if (stored === undefined) {
    throw new ServerError(
      "NOT_FOUND",
      `no signed checkpoint of size ${size} (ask without size for the newest)`,
    );
  }
  return stored;
}
