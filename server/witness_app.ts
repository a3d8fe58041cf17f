/**
 * A witness over HTTP, on loopback: C2SP tlog-witness's `POST /add-checkpoint`, answered with the
 * status codes that protocol gives each refusal (docs/API.md, "Witness server"), so a log or a
 * client written for tlog-witness can ask this witness for cosignatures. The checks themselves are
 * the offline witness's (ledger/witness.ts): this file only routes requests to the log they name
 * and turns refusals into statuses.
 * @module
 */
import { Hono } from "hono";
import { type CheckpointExtension, parseCheckpointExtension } from "../core/checkpoint_extension.ts";
import { checkpointOfNote } from "../core/checkpoint.ts";
import { SecuraMemError } from "../core/errors.ts";
import type { HashAlg } from "../core/hash.ts";
import type { LogKeys } from "../core/rotation.ts";
import { type Witness, WitnessConflictError } from "../ledger/witness.ts";
import { limitBody, readBodyBytes, utf8Text } from "./body.ts";
import { ServerError } from "./errors.ts";
import { requireLoopbackHost } from "./loopback.ts";

/** A log this witness cosigns for: its origin (the name of its key) and its keys. */
export interface WitnessedLog {
  readonly origin: string;
  readonly keys: LogKeys;
  /** The log's hash; without it a proof is tried under each. */
  readonly alg?: HashAlg;
}

/** What the witness app serves. */
export interface WitnessApiDeps {
  readonly witness: Witness;
  /** The logs it knows, by origin; a checkpoint of any other origin is 404. */
  readonly logs: ReadonlyMap<string, WitnessedLog>;
  /** Largest request body, bytes. */
  readonly maxBodyBytes: number;
}

/** The media type of a 409 body that names the size the witness holds (C2SP tlog-witness). */
export const TLOG_SIZE_TYPE = "text/x.tlog.size";

/** Largest add-checkpoint body by default: 63 proof lines and a checkpoint with its signatures fit many times over. */
export const WITNESS_MAX_BODY_BYTES = 64 * 1024;

/** Each refusal's status, as tlog-witness gives it; a fork (same size, another root) is decided in `statusOf`. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  EXTENSION_MALFORMED: 400,
  MALFORMED_NOTE: 400,
  MALFORMED_CHECKPOINT: 400,
  BAD_UTF8: 400,
  BODY_UNREADABLE: 400,
  // `old` beyond the checkpoint's size.
  SIZE_OUT_OF_RANGE: 400,
  // No signature by a key trusted for the origin, or one by such a key that fails.
  UNVERIFIED_NOTE: 403,
  BAD_SIGNATURE: 403,
  AMBIGUOUS_KEY: 403,
  UNKNOWN_KEY_ALG: 403,
  FORBIDDEN_HOST: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  BODY_TOO_LARGE: 413,
  ROOT_MISMATCH: 422,
  PROOF_TOO_SHORT: 422,
  PROOF_TOO_LONG: 422,
  BAD_HASH_LENGTH: 422,
  LOCKED: 503,
  DISK_FULL: 507,
};

/** Builds the witness app over `deps`. */
export function createWitnessApp(deps: WitnessApiDeps): Hono {
  const app = new Hono();
  app.onError((error) => refusal(error));
  app.notFound((c) => refusal(new ServerError("NOT_FOUND", `no route ${c.req.method} ${c.req.path}`)));
  app.use(requireLoopbackHost);
  app.get("/healthz", (c) => c.text("ok\n"));
  app.post(
    "/add-checkpoint",
    limitBody(deps.maxBodyBytes),
    async (c) => {
      const request = utf8Text(await readBodyBytes(c.req.raw), "the request body");
      const { extension, log, sameSize } = routeOf(deps.logs, request);
      try {
        const result = await deps.witness.addExtension(extension, log.keys, log.alg);
        return c.text(result.cosignature);
      } catch (error) {
        if (error instanceof WitnessConflictError) {
          return c.body(`${error.heldSize}\n`, 409, { "content-type": TLOG_SIZE_TYPE });
        }
        return refusal(error, sameSize);
      }
    },
  );
  return app;
}

/**
 * `request` parsed, the log whose checkpoint it carries (`NOT_FOUND` for an origin this witness
 * does not know), and whether its `old` is the checkpoint's size: a root mismatch is then a fork.
 */
function routeOf(
  logs: ReadonlyMap<string, WitnessedLog>,
  request: string,
): { extension: CheckpointExtension; log: WitnessedLog; sameSize: boolean } {
  const extension = parseCheckpointExtension(request);
  const { origin, size } = checkpointOfNote(extension.checkpoint);
  const log = logs.get(origin);
  if (log === undefined) {
    throw new ServerError("NOT_FOUND", `this witness does not know the log ${JSON.stringify(origin)}`);
  }
  return { extension, log, sameSize: extension.oldSize === size };
}

/** A refusal as text, `CODE: message`; a fork of what the witness holds is 409, as tlog-witness says. */
function refusal(error: unknown, sameSize = false): Response {
  if (!(error instanceof SecuraMemError)) {
    console.error("smem witness serve: internal error:", error);
    return text(500, "INTERNAL: internal error (see the witness's log)");
  }
  const fork = sameSize && error.code === "ROOT_MISMATCH";
  const status = fork ? 409 : STATUS_BY_CODE[error.code] ?? 500;
  if (status === 500) console.error("smem witness serve: internal error:", error);
  return text(status, `${error.code}: ${error.message}`);
}

function text(status: number, body: string): Response {
  return new Response(`${body}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}
