import { SecuraMemError } from "../../core/errors.ts";
import { exportBundle } from "../../ledger/export.ts";
import { ioError, writeAll } from "../../ledger/files.ts";
import { Ledger } from "../../ledger/ledger.ts";
import { type Command, stringFlag } from "../command.ts";
import { UsageError } from "../context.ts";
import { parseOptionalCount } from "../numbers.ts";
import { COSIGNED_FLAG, cosignedSize } from "../cosigned.ts";

/** `smem export --out FILE.smemctx`. */
export const exportCommand: Command = {
  name: "export",
  summary: "write an evidence bundle (.smemctx) of a record range, verifiable offline",
  operands: 0,
  usage: "smem export --out FILE.smemctx [--from IDX] [--to IDX | --cosigned] [--with-blobs]",
  flags: {
    out: { type: "string", arg: "FILE", help: "bundle file to write" },
    from: { type: "string", arg: "IDX", help: "first leaf (default 0)" },
    to: { type: "string", arg: "IDX", help: "one past the last leaf (default: newest checkpoint)" },
    cosigned: {
      ...COSIGNED_FLAG,
      help:
        "up to the newest checkpoint a witness cosigned, so the bundle's final checkpoint carries the witness",
    },
    "with-blobs": {
      type: "boolean",
      help: "carry the payload blobs the records name (erased ones cannot be)",
    },
  },
  async run(values, _args, ctx) {
    const out = stringFlag(values, "out");
    if (out === undefined) throw new UsageError("give the bundle file with --out FILE");
    const from = parseOptionalCount(stringFlag(values, "from"), "--from") ?? 0;
    const to = parseOptionalCount(stringFlag(values, "to"), "--to");
    const withBlobs = values["with-blobs"] === true;
    const ledger = await Ledger.open(ctx.dir);
    const partial = `${out}.partial`;
    const file = await Deno.open(partial, { write: true, create: true, truncate: true });
    const progress = ctx.progress("export", ledger.size);
    try {
      const summary = await exportBundle(
        ledger,
        (chunk) => writeAll(file, chunk),
        { from, to: values.cosigned === true ? cosignedSize(ledger, from, to, "--to") : to, withBlobs },
        (done) => progress.update(done),
      );
      await file.sync();
      file.close();
      await Deno.rename(partial, out);
      ctx.result(
        { out, ...summary },
        `wrote ${out}: records ${summary.from}…${
          summary.to - 1
        } (${summary.records}), ${summary.blobs} blobs, checkpoint size ${summary.size}, ${summary.bytes} bytes`,
      );
    } catch (error) {
      try {
        file.close();
      } catch { /* already closed */ }
      await Deno.remove(partial).catch(() => {});
      // The bundle's own writes (a full disk, say) are named by the file they were for.
      throw error instanceof SecuraMemError ? error : ioError(error, out);
    } finally {
      progress.done();
      ledger.close();
    }
  },
};
