import type { JsonValue } from "../../core/json.ts";
import { readJsonText } from "../../core/json_reader.ts";
import { readDraft as checkDraft, readDraftText, type RecordDraft } from "../../core/record.ts";
import { LedgerError } from "../../ledger/errors.ts";
import { Ledger } from "../../ledger/ledger.ts";
import { type Command, stringFlag } from "../command.ts";
import { UsageError } from "../context.ts";
import { parseOptionalCount } from "../numbers.ts";
import { PASSPHRASE_FLAG, signerPassphrase } from "../passphrase.ts";
import { writeOutFile } from "../out_file.ts";
import { readInFile } from "../in_file.ts";

/** `smem append`: appends one record from flags or a JSON draft on stdin. */
export const append: Command = {
  name: "append",
  summary: "append one record (flags, or a JSON draft on stdin) and print its receipt",
  operands: 0,
  usage:
    "smem append --kind KIND [--stream S] [--writer W] [--reason R] [--actor JSON] [--subject JSON] [--attrs JSON]\n" +
    "       smem append < draft.json",
  flags: {
    kind: { type: "string", arg: "KIND", help: "record kind, e.g. ModelInvoked" },
    stream: { type: "string", arg: "STREAM", help: "stream (default: default)" },
    writer: { type: "string", arg: "ID", help: "writer_id (default: securamem@local)" },
    seq: { type: "string", arg: "N", help: "expected seq, for idempotent retries" },
    reason: { type: "string", arg: "TEXT", help: "short reason code" },
    actor: { type: "string", arg: "JSON", help: "actor object" },
    subject: { type: "string", arg: "JSON", help: "subject object" },
    attrs: { type: "string", arg: "JSON", help: "attrs object" },
    receipt: { type: "string", arg: "FILE", help: "also write the full receipt to FILE" },
    "busy-timeout": {
      type: "string",
      arg: "MS",
      help: "wait this long for another writer's lock (default 10000)",
    },
    ...PASSPHRASE_FLAG,
  },
  async run(values, _args, ctx) {
    const draft = await readDraft(values);
    const ledger = await Ledger.open(ctx.dir, {
      passphrase: signerPassphrase(values, ctx),
      writerId: stringFlag(values, "writer"),
      busyTimeoutMs: parseOptionalCount(stringFlag(values, "busy-timeout"), "--busy-timeout"),
    });
    try {
      const result = await ledger.append(draft);
      const receipt = ledger.receipt(result.index, result.checkpointSize);
      const file = stringFlag(values, "receipt");
      if (file !== undefined) await writeReceiptOf(result.index, file, `${receipt}\n`);
      ctx.result(
        { ...result, receipt: JSON.parse(receipt) },
        `${
          result.replayed ? "replayed" : "appended"
        } leaf ${result.index} (${result.writerId}/${result.stream}#${result.seq}) ${result.selfHash}\n${receipt}`,
      );
    } finally {
      ledger.close();
    }
  },
};

async function readDraft(values: Record<string, unknown>): Promise<RecordDraft> {
  const kind = values.kind;
  if (typeof kind !== "string") {
    if (Deno.stdin.isTerminal()) throw new UsageError("give --kind, or a JSON draft on stdin");
    return readDraftText(await readInFile("-"));
  }
  const fields: Record<string, JsonValue | undefined> = {
    kind,
    stream: values.stream as string | undefined,
    writer_id: values.writer as string | undefined,
    seq: parseOptionalCount(values.seq as string | undefined, "--seq"),
    reason: values.reason as string | undefined,
  };
  for (const name of ["actor", "subject", "attrs"]) {
    const text = values[name];
    if (typeof text === "string") fields[name] = readJsonText(text);
  }
  for (const name of Object.keys(fields)) if (fields[name] === undefined) delete fields[name];
  return checkDraft(fields);
}

/**
 * Writes the receipt of a record already appended: when that fails, the error says the record is
 * durable, so the user fetches its receipt rather than appending it again.
 */
async function writeReceiptOf(index: number, file: string, receipt: string): Promise<void> {
  try {
    await writeOutFile(file, receipt);
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    throw new LedgerError(
      error.code,
      `leaf ${index} was appended, but its receipt was not written: ${error.message} (smem receipt ${index} --out ${file})`,
    );
  }
}
