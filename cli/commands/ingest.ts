import type { JsonObject } from "../../core/json.ts";
import { isPlainObject } from "../../core/json.ts";
import { readJsonText } from "../../core/json_reader.ts";
import { CanonicalError, relocate, SecuraMemError } from "../../core/errors.ts";
import { checkFieldNames } from "../../core/canonical.ts";
import { fromBase64Strict, utf8 } from "../../core/encoding.ts";
import { readDraft, type RecordDraft } from "../../core/record.ts";
import { type AppendResult, Ledger } from "../../ledger/ledger.ts";
import { type Command, stringFlag } from "../command.ts";
import { readLines } from "../lines.ts";
import { readAhead } from "../read_ahead.ts";
import { parseOptionalPositive } from "../numbers.ts";
import { PASSPHRASE_FLAG, signerPassphrase } from "../passphrase.ts";

/**
 * One NDJSON line: a draft, or an envelope `{"record": draft, "payload": "text"}` (or
 * `"payload_b64"`) whose payload is stored as a blob and named by `subject.content_id`.
 */
interface IngestItem {
  readonly line: number;
  readonly draft: RecordDraft;
  readonly payload?: Uint8Array;
}

/** `smem ingest`: NDJSON in batches, resumable by idempotent replay. */
export const ingest: Command = {
  name: "ingest",
  summary: "append NDJSON drafts from a file or stdin, in batches; a bad line stops with its number",
  operands: 1,
  usage: "smem ingest [FILE] [--batch N]",
  flags: {
    batch: { type: "string", arg: "N", help: "records per transaction (default 1000)" },
    writer: { type: "string", arg: "ID", help: "writer_id for lines that name none" },
    ...PASSPHRASE_FLAG,
  },
  async run(values, args, ctx) {
    const batchSize = parseOptionalPositive(stringFlag(values, "batch"), "--batch") ?? 1000;
    const path = args[0];
    const source = path === undefined || path === "-"
      ? Deno.stdin.readable
      : readAhead(await Deno.open(path));
    const ledger = await Ledger.open(ctx.dir, {
      writerId: stringFlag(values, "writer"),
      passphrase: signerPassphrase(values, ctx),
    });
    const progress = ctx.progress("ingest");
    const summary = {
      lines: 0,
      appended: 0,
      replayed: 0,
      first_index: null as number | null,
      last_index: null as number | null,
    };
    const count = (results: AppendResult[]) => {
      for (const r of results) {
        if (r.replayed) summary.replayed++;
        else {
          summary.appended++;
          summary.first_index ??= r.index;
          summary.last_index = r.index;
        }
      }
      progress.update(summary.appended + summary.replayed);
    };
    let batch: IngestItem[] = [];
    let completed = false;
    try {
      try {
        for await (const line of readLines(source)) {
          if (line.text.trim() === "") continue;
          const item = parseLine(line.text, line.number);
          if (item instanceof SecuraMemError) throw item;
          batch.push(item);
          summary.lines++;
          if (batch.length >= batchSize) {
            const full = batch;
            batch = [];
            await commit(ledger, full, count);
          }
        }
      } catch (error) {
        // Every line read before a bad one is stored (none is pending after a refused commit).
        await commit(ledger, batch, count);
        throw error;
      }
      await commit(ledger, batch, count);
      completed = true;
    } finally {
      progress.done();
      ledger.close();
      if (!completed) {
        ctx.info(
          `ingest stopped: ${summary.appended} appended, ${summary.replayed} replayed before the error`,
        );
      }
    }
    const leaves = summary.first_index === null
      ? ""
      : ` (leaves ${summary.first_index}…${summary.last_index})`;
    ctx.result(
      summary,
      `${summary.lines} line${summary.lines === 1 ? "" : "s"}: ${summary.appended} appended, ` +
        `${summary.replayed} replayed${leaves}`,
    );
  },
};

/**
 * Commits a batch. When the ledger refuses a draft, the drafts before it are committed and the
 * error names the draft's line; when it refuses the batch as a whole (a full disk, a lock held too
 * long), the error names the batch's first line: every line before it is stored, none from it on. The
 * caller counts only what it is told was committed; the summary after an error is printed by the
 * error path.
 */
async function commit(
  ledger: Ledger,
  batch: IngestItem[],
  committed: (results: AppendResult[]) => void,
): Promise<void> {
  if (batch.length === 0) return;
  try {
    committed(await ledger.appendBatch(withPayloads(ledger, batch)));
  } catch (error) {
    if (!(error instanceof SecuraMemError)) throw error;
    const item = error.where.item ?? 0;
    if (item > 0) committed(await ledger.appendBatch(withPayloads(ledger, batch.slice(0, item))));
    throw relocate(error, { item: undefined, line: batch[item].line });
  }
}

function withPayloads(ledger: Ledger, batch: IngestItem[]): RecordDraft[] {
  return batch.map(({ draft, payload }) => {
    if (payload === undefined) return draft;
    const contentId = ledger.putBlob(payload);
    return { ...draft, subject: { ...(draft.subject ?? {}), content_id: contentId } };
  });
}

function parseLine(text: string, line: number): IngestItem | SecuraMemError {
  try {
    const value = readJsonText(text);
    if (isPlainObject(value) && Object.hasOwn(value, "record")) return envelope(value, line);
    return { line, draft: readDraft(value) };
  } catch (error) {
    if (!(error instanceof SecuraMemError)) throw error;
    return relocate(error, { line });
  }
}

const ENVELOPE_FIELDS = ["record", "payload", "payload_b64"];

function envelope(value: JsonObject, line: number): IngestItem {
  checkFieldNames(value, ENVELOPE_FIELDS, ["record"]);
  const draft = readDraft(value.record);
  const payload = envelopePayload(value);
  return payload === undefined ? { line, draft } : { line, draft, payload };
}

/** The bytes of an envelope's `payload` (text, stored as UTF-8) or `payload_b64` (canonical base64), if any. */
function envelopePayload(value: JsonObject): Uint8Array | undefined {
  const { payload, payload_b64: base64 } = value;
  if (payload !== undefined && base64 !== undefined) {
    throw new CanonicalError("BAD_FIELD", "give payload or payload_b64, not both", { path: "payload_b64" });
  }
  if (payload !== undefined) {
    if (typeof payload !== "string") {
      throw new CanonicalError("BAD_FIELD", "payload must be a string", { path: "payload" });
    }
    return utf8(payload);
  }
  if (base64 === undefined) return undefined;
  const bytes = typeof base64 === "string" ? fromBase64Strict(base64) : undefined;
  if (bytes === undefined) {
    throw new CanonicalError("BAD_FIELD", "payload_b64 must be a canonical base64 string", {
      path: "payload_b64",
    });
  }
  return bytes;
}
