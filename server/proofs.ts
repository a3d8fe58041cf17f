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
import { countParam, queryParams, requiredCount } from "./params.ts";

/** The checkpoint and proof routes. */
export function proofRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  app.get("/checkpoint", (c) => {
    const q = queryParams(c, ["size", "since"]);
    const stored = signedCheckpoint(deps.reader, countParam(q("size"), "size"));
    const since = countParam(q("since"), "since");
    const text = since === undefined
      ? stored.note
      : deps.reader.checkpointExtension(since, stored.checkpoint.size);
    return c.text(text, 200, { "content-type": "text/plain; charset=utf-8" });
  });
  app.get("/proof/inclusion", (c) => {
    const q = queryParams(c, ["idx", "size"]);
    const index = requiredCount(q("idx"), "idx");
    const stored = signedCheckpoint(deps.reader, countParam(q("size"), "size"));
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
    const q = queryParams(c, ["from", "to"]);
    const from = requiredCount(q("from"), "from");
    const stored = signedCheckpoint(deps.reader, countParam(q("to"), "to"));
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
