import { stringFlag } from "../command.ts";
import type { Command } from "../command.ts";
import { parseOptionalCount } from "../numbers.ts";
import { PASSPHRASE_FLAG, signerPassphrase } from "../passphrase.ts";
import { withLedger } from "../with_ledger.ts";
import { writeOutFile } from "../out_file.ts";

/** `smem checkpoint`: the newest signed checkpoint (signing one if the tree grew). */
export const checkpoint: Command = {
  name: "checkpoint",
  summary: "print the signed checkpoint of the current tree (C2SP signed note)",
  operands: 0,
  usage: "smem checkpoint [--since OLD] [--out FILE]",
  flags: {
    since: {
      type: "string",
      arg: "OLD",
      help: "print it as an extension of the checkpoint of OLD leaves you hold: 'old OLD', the consistency " +
        "proof, a blank line, the note (a C2SP tlog-witness request; check it with smem verify-checkpoint)",
    },
    out: { type: "string", arg: "FILE", help: "where to write it (default: stdout)" },
    ...PASSPHRASE_FLAG,
  },
  async run(values, _args, ctx) {
    const since = parseOptionalCount(stringFlag(values, "since"), "--since");
    const out = stringFlag(values, "out");
    return await withLedger(ctx, async (ledger) => {
      const stored = await ledger.checkpoint();
      const size = stored.checkpoint.size;
      const text = since === undefined ? stored.note : ledger.checkpointExtension(since, size);
      const value = {
        size,
        root: stored.checkpoint.root.toBase64(),
        note: stored.note,
        ...(since === undefined ? {} : { old_size: since, extension: text }),
      };
      if (out === undefined) {
        ctx.result(value, text.trimEnd());
        return;
      }
      await writeOutFile(out, text);
      ctx.result(
        { ...value, out },
        `wrote the checkpoint of size ${size}${since === undefined ? "" : ` (since ${since})`} to ${out}`,
      );
    }, { passphrase: signerPassphrase(values, ctx) });
  },
};
