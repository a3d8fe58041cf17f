/**
 * `POST /v1/records` (one draft or an array → results with receipts), `GET /v1/records/:idx`
 * and `GET /v1/records?…` (the ledger's query filters, paginated).
 * @module
 */
import { type Context, Hono } from "hono";
import { relocate, SecuraMemError } from "../core/errors.ts";
import type { JsonValue } from "../core/json.ts";
import { readJsonBytes } from "../core/json_reader.ts";
import { readDraft, type RecordDraft, sealedText } from "../core/record.ts";
import type { AppendResult, StoredRecord } from "../ledger/ledger.ts";
import type { ApiDeps } from "./deps.ts";
import { ServerError } from "./errors.ts";
import { countParam, queryParams } from "./params.ts";
import { readBody } from "./body.ts";

/** The parameters of `GET /v1/records`. */
const QUERY_FILTERS = [
  "stream",
  "writer",
  "kind",
  "actor",
  "subject",
  "since",
  "until",
  "from",
  "to",
  "limit",
  "after",
];

/** The record routes. */
export function recordRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  app.post("/", async (c) => {
    const started = performance.now();
    const q = queryParams(c, ["receipts"]);
    const { drafts, single } = await readDrafts(c);
    const results = await deps.intake.submit(drafts);
    deps.metrics.observeLatency(performance.now() - started);
    const receipts = q("receipts") === "none" ? undefined : batchReceipts(deps, results);
    const items = results.map((result, i) => resultJson(result, receipts?.[i]));
    const body = single ? items[0] : `{"results":[${items.join(",")}]}`;
    return c.body(body, results.some((r) => !r.replayed) ? 201 : 200, { "content-type": "application/json" });
  });
  app.get("/:idx", (c) => {
    queryParams(c, []);
    const index = countParam(c.req.param("idx"), "idx")!;
    return c.body(storedJson(deps.reader.record(index)), 200, { "content-type": "application/json" });
  });
  app.get("/", (c) => {
    const q = queryParams(c, QUERY_FILTERS);
    const page = deps.reader.query({
      stream: q("stream"),
      writerId: q("writer"),
      kind: q("kind"),
      actor: q("actor"),
      subject: q("subject"),
      fromTs: countParam(q("since"), "since"),
      toTs: countParam(q("until"), "until"),
      fromIndex: countParam(q("from"), "from"),
      toIndex: countParam(q("to"), "to"),
      limit: countParam(q("limit"), "limit"),
      after: countParam(q("after"), "after"),
    });
    const next = page.next === undefined ? "" : `,"next":${page.next}`;
    return c.body(`{"records":[${page.records.map(storedJson).join(",")}]${next}}`, 200, {
      "content-type": "application/json",
    });
  });
  return app;
}

/** The drafts of a write request: a JSON object (one draft) or a non-empty array of them. */
async function readDrafts(c: Context): Promise<{ drafts: RecordDraft[]; single: boolean }> {
  const bytes = await readBody(c, "application/json", "the draft(s)");
  const value: JsonValue = readJsonBytes(bytes);
  if (!Array.isArray(value)) return { drafts: [readDraft(value)], single: true };
  if (value.length === 0) throw new ServerError("EMPTY_BATCH", "the array holds no draft");
  return { drafts: value.map(readBatchItem), single: false };
}

function readBatchItem(value: JsonValue, item: number): RecordDraft {
  try {
    return readDraft(value);
  } catch (error) {
    throw error instanceof SecuraMemError ? relocate(error, { item }) : error;
  }
}

/** The receipts of a request's results: one `appendBatch`, so one transaction and one checkpoint. */
function batchReceipts(deps: ApiDeps, results: readonly AppendResult[]): string[] {
  return deps.writer.receipts(results.map((result) => result.index), results[0].checkpointSize);
}

/** One append result as JSON text, with its receipt embedded verbatim (its bytes are signed over). */
function resultJson(result: AppendResult, receipt: string | undefined): string {
  const fields = JSON.stringify(result).slice(0, -1);
  return receipt === undefined ? `${fields}}` : `${fields},"receipt":${receipt}}`;
}

/** A stored record as `{"index":N,"record":<canonical sealed text>}`. */
function storedJson(record: StoredRecord): string {
  return `{"index":${record.index},"record":${sealedText(record)}}`;
}
