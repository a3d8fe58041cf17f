/**
 * `POST /v1/cosignatures` (a witness's answer, as text: a cosigned note, a checkpoint extension
 * holding one, or bare cosignature lines with `?size=N`; checked and stored by the ledger) and
 * `GET /v1/cosignatures` (those of the newest cosigned checkpoint, or of `?size=N`). The server
 * takes cosignatures only from the witnesses it was started with (`smem serve --witness FILE`).
 * @module
 */
import { type Context, Hono } from "hono";
import { storedCosignatureJson } from "../ledger/cosignatures.ts";
import type { ApiDeps } from "./deps.ts";
import { ServerError } from "./errors.ts";
import { readBody, utf8Text } from "./body.ts";
import { countParam, queryParams } from "./params.ts";

/** The cosignature routes. */
export function cosignatureRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  app.post("/", async (c) => {
    if (deps.witnesses.length === 0) {
      throw new ServerError("NO_WITNESS", "this server trusts no witness (start it with --witness FILE)");
    }
    const q = queryParams(c, ["size"]);
    const answer = await readAnswer(c);
    const size = countParam(q("size"), "size");
    const added = await deps.writer.addCosignatures(answer, deps.witnesses, size, "present");
    const body = {
      cosignatures: added.map((a) => ({ size: a.size, witness: a.witness, time: a.time, stored: a.stored })),
    };
    return c.json(body, added.some((a) => a.stored) ? 201 : 200);
  });
  app.get("/", (c) => {
    const size = countParam(queryParams(c, ["size"])("size"), "size") ?? deps.reader.newestCosignedSize();
    const stored = size === undefined ? [] : deps.reader.cosignaturesAt(size);
    return c.json({ size: size ?? null, cosignatures: stored.map(storedCosignatureJson) });
  });
  return app;
}

/** The request body as UTF-8 text: `BAD_UTF8` when it is not. */
async function readAnswer(c: Context): Promise<string> {
  return utf8Text(await readBody(c, "text/plain", "the witness's answer"), "the witness's answer");
}
