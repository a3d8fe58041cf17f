import type { Command } from "../command.ts";
import { withLedger } from "../with_ledger.ts";

/** `smem checkpoint`: the newest signed checkpoint (signing one if the tree grew). */
export const checkpoint: Command = {
  name: "checkpoint",
  summary: "print the signed checkpoint of the current tree (C2SP signed note)",
  usage: "smem checkpoint",
  flags: {},
  async run(_values, _args, ctx) {
    return await withLedger(ctx, async (ledger) => {
      const stored = await ledger.checkpoint();
      ctx.result(
        { size: stored.checkpoint.size, root: stored.checkpoint.root.toBase64(), note: stored.note },
        stored.note.trimEnd(),
      );
    });
  },
};
