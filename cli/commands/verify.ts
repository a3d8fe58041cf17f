import { Ledger } from "../../ledger/ledger.ts";
import { verifyLedger } from "../../ledger/verify.ts";
import { type Command, stringFlag } from "../command.ts";
import { EXIT, UsageError } from "../context.ts";
import { parseCount, parseOptionalCount, parseOptionalPositive } from "../numbers.ts";

/** `smem verify`: full verification, or from a trusted checkpoint. */
export const verify: Command = {
  name: "verify",
  summary: "verify every record, link, Merkle node and checkpoint signature; exit 1 with the location",
  operands: 0,
  usage: "smem verify [--from-checkpoint SIZE | --range FROM:TO] [--key VKEY_FILE] [--workers N]",
  verifying: true,
  flags: {
    "from-checkpoint": {
      type: "string",
      arg: "SIZE",
      help: "trust the stored checkpoint of SIZE (signature still checked) and verify what follows",
    },
    range: {
      type: "string",
      arg: "FROM:TO",
      help:
        "verify only leaves FROM…TO−1: each record, its chain link and its inclusion in the newest checkpoint",
    },
    key: {
      type: "string",
      arg: "FILE",
      help:
        "trust only the verifier key in FILE (default: the ledger's keys, checked against its signer key)",
    },
    workers: {
      type: "string",
      arg: "N",
      help: "check records on N threads (default: one per core; 1: in line; under 16,384 records: in line)",
    },
  },
  async run(values, _args, ctx) {
    const ledger = await Ledger.open(ctx.dir);
    const keyFile = stringFlag(values, "key");
    const trustedKeys = keyFile === undefined ? undefined : [(await Deno.readTextFile(keyFile)).trim()];
    const progress = ctx.progress("verify", ledger.size);
    try {
      const report = await verifyLedger(ledger, {
        trustedKeys,
        fromCheckpoint: parseOptionalCount(stringFlag(values, "from-checkpoint"), "--from-checkpoint"),
        range: parseRange(stringFlag(values, "range")),
        onProgress: (done) => progress.update(done),
        workers: parseOptionalPositive(stringFlag(values, "workers"), "--workers"),
      });
      progress.done();
      if (!report.ok) throw report.failure;
      ctx.result(
        {
          ok: true,
          size: report.size,
          records_checked: report.recordsChecked,
          checkpoints_checked: report.checkpointsChecked,
          cosignatures_checked: report.cosignaturesChecked,
          chains: report.chains,
          blobs: report.blobs,
          workers: report.workers,
        },
        `ok: ${report.recordsChecked} records, ${report.checkpointsChecked} signed checkpoints` +
          `${cosignaturesText(report.cosignaturesChecked)}, ` +
          `${report.chains} chains, ${report.blobs.present} blobs present, ${report.blobs.erased} erased`,
      );
      return EXIT.ok;
    } finally {
      progress.done();
      ledger.close();
    }
  },
};

function cosignaturesText(count: number): string {
  return count === 0 ? "" : ` (${count} witness cosignature${count === 1 ? "" : "s"})`;
}

function parseRange(text: string | undefined): { from: number; to: number } | undefined {
  if (text === undefined) return undefined;
  const [from, to, ...rest] = text.split(":");
  if (rest.length > 0 || to === undefined) throw new UsageError("--range takes FROM:TO");
  const range = { from: parseCount(from, "--range FROM"), to: parseCount(to, "--range TO") };
  if (range.from > range.to) throw new UsageError(`--range ${text} ends before it starts`);
  return range;
}
