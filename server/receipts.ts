/**
 * `GET /v1/receipts/:idx` (the receipt of one leaf, SPEC §6, or with `format=tlog-proof` its C2SP
 * tlog-proof text) and `GET /v1/receipts?from=I&to=J` (the receipts of leaves [I, J), built as one
 * batch). Each proves against the stored checkpoint of `size`, the newest one a witness cosigned
 * (`cosigned=1`), or the newest: evidence for records appended with `receipts=none`, or whose
 * answer was lost.
 * @module
 */
import { Hono } from "hono";
import { parseReceipt, receiptToTlogProof } from "../core/receipt.ts";
import type { ApiDeps } from "./deps.ts";
import { ServerError } from "./errors.ts";
import { countParam, flagParam, type Query, queryParams, requiredCount } from "./params.ts";

/** Most receipts one `GET /v1/receipts` answers (~2 MB of 1 KiB records). */
export const MAX_RECEIPTS = 1000;

/** Receipts a range gives when `to` is not named. */
const DEFAULT_RECEIPTS = 100;

/** The receipt routes. */
export function receiptRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  app.get("/:idx", (c) => {
    const q = queryParams(c, ["size", "cosigned", "format"]);
    const index = requiredCount(c.req.param("idx"), "idx");
    const text = deps.reader.receipt(index, provenSize(q, deps, index + 1));
    const format = q("format");
    if (format === "tlog-proof") {
      return c.text(receiptToTlogProof(parseReceipt(text)), 200, {
        "content-type": "text/plain; charset=utf-8",
      });
    }
    if (format !== undefined && format !== "json") {
      throw new ServerError("BAD_PARAM", `format must be json or tlog-proof, not ${JSON.stringify(format)}`, {
        path: "format",
      });
    }
    return c.body(text, 200, { "content-type": "application/json" });
  });
  app.get("/", (c) => {
    const q = queryParams(c, ["from", "to", "size", "cosigned"]);
    const from = requiredCount(q("from"), "from");
    const size = provenSize(q, deps, from + 1);
    if (from >= size) {
      throw new ServerError("INDEX_OUT_OF_RANGE", `not in the checkpoint of ${size} leaves`, {
        leafIndex: from,
      });
    }
    const to = Math.min(countParam(q("to"), "to") ?? from + DEFAULT_RECEIPTS, size);
    if (to - from > MAX_RECEIPTS) {
      throw new ServerError(
        "BAD_PARAM",
        `at most ${MAX_RECEIPTS} receipts a request (from ${from} to ${to})`,
        {
          path: "to",
        },
      );
    }
    if (to <= from) {
      throw new ServerError("BAD_PARAM", `to (${to}) must be above from (${from})`, { path: "to" });
    }
    const indexes = Array.from({ length: to - from }, (_, i) => from + i);
    const receipts = deps.reader.receipts(indexes, size);
    return c.body(`{"size":${size},"from":${from},"to":${to},"receipts":[${receipts.join(",")}]}`, 200, {
      "content-type": "application/json",
    });
  });
  return app;
}

/**
 * The checkpoint size a receipt proves against: `size`, the newest cosigned checkpoint's (which
 * must hold `leaves` leaves), or the newest checkpoint's. A `size` no stored checkpoint signs is
 * `NOT_FOUND`; one too small for the leaf is `INDEX_OUT_OF_RANGE`.
 */
function provenSize(q: Query, deps: ApiDeps, leaves: number): number {
  const size = countParam(q("size"), "size");
  if (!flagParam(q("cosigned"), "cosigned")) {
    return size ?? deps.reader.latestCheckpoint().checkpoint.size;
  }
  if (size !== undefined) {
    throw new ServerError("BAD_PARAM", "give size or cosigned, not both", { path: "size" });
  }
  return deps.reader.cosignedSizeReaching(leaves);
}
