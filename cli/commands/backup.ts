import { backupLedger } from "../../ledger/backup.ts";
import { ledgerPaths } from "../../ledger/files.ts";
import { type Command, stringFlag } from "../command.ts";
import { UsageError } from "../context.ts";

/** `smem backup --out DIR`: an online, consistent copy of the ledger. */
export const backup: Command = {
  name: "backup",
  summary: "copy the ledger into a new directory while writers go on: one consistent snapshot",
  operands: 0,
  usage: "smem backup --out DIR [--with-key]",
  flags: {
    out: { type: "string", arg: "DIR", help: "directory of the copy (made if absent; must hold no ledger)" },
    "with-key": {
      type: "boolean",
      help:
        "copy the signer key file too (as it is: encrypted stays encrypted); without it the copy verifies, " +
        "proves and serves reads, but cannot sign",
    },
  },
  async run(values, _args, ctx) {
    const out = stringFlag(values, "out");
    if (out === undefined) throw new UsageError("give the backup directory with --out DIR");
    ctx.info(`backup: copying about ${mebibytes(sourceBytes(ctx.dir))} MiB in one snapshot`);
    const progress = ctx.progress("backup: pages");
    const summary = await backupLedger(ctx.dir, out, {
      withKey: values["with-key"] === true,
      onProgress: (copied, total) => progress.update(copied, total),
    }).finally(() => progress.done());
    const { status } = summary;
    ctx.result(
      {
        dir: summary.dir,
        size: status.size,
        checkpoint: { size: status.checkpoint.size, root: status.checkpoint.root.toBase64() },
        bytes: summary.bytes,
        with_key: summary.withKey,
      },
      `backed up ${status.size} records (checkpoint size ${status.checkpoint.size}) to ${summary.dir}: ` +
        `${summary.bytes} bytes, ${summary.withKey ? "with" : "without"} the signer key; ` +
        `check it with: smem verify --dir ${summary.dir}`,
    );
  },
};

/** The database's bytes and its WAL's: about what the copy will hold. */
function sourceBytes(dir: string): number {
  const { db } = ledgerPaths(dir);
  return fileBytes(db) + fileBytes(`${db}-wal`);
}

function fileBytes(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

function mebibytes(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
