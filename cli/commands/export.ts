import { exportBundle } from "../../ledger/export.ts";
import { Ledger } from "../../ledger/ledger.ts";
import { type Command, stringFlag } from "../command.ts";
import { UsageError } from "../context.ts";
import { parseOptionalCount } from "../numbers.ts";

/** `smem export --out FILE.smemctx`. */
export const exportCommand: Command = {
  name: "export",
  summary: "write an evidence bundle (.smemctx) of a record range, verifiable offline",
  usage: "smem export --out FILE.smemctx [--from IDX] [--to IDX] [--with-blobs]",
  flags: {
    out: { type: "string", arg: "FILE", help: "bundle file to write" },
    from: { type: "string", arg: "IDX", help: "first leaf (default 0)" },
    to: { type: "string", arg: "IDX", help: "one past the last leaf (default: newest checkpoint)" },
    "with-blobs": {
      type: "boolean",
      help: "carry the payload blobs the records name (erased ones cannot be)",
    },
  },
  async run(values, _args, ctx) {
    const out = stringFlag(values, "out");
    if (out === undefined) throw new UsageError("give the bundle file with --out FILE");
    const ledger = await Ledger.open(ctx.dir);
    const partial = `${out}.partial`;
    const file = await Deno.open(partial, { write: true, create: true, truncate: true });
    const progress = ctx.progress("export", ledger.size);
    try {
      const summary = await exportBundle(
        ledger,
        async (chunk) => {
          let written = 0;
          while (written < chunk.length) written += await file.write(chunk.subarray(written));
        },
        {
          from: parseOptionalCount(stringFlag(values, "from"), "--from"),
          to: parseOptionalCount(stringFlag(values, "to"), "--to"),
          withBlobs: values["with-blobs"] === true,
        },
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
      throw error;
    } finally {
      progress.done();
      ledger.close();
    }
  },
};
