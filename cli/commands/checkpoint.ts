import { Ledger } from "../../ledger/ledger.ts";
import type { Command } from "../command.ts";

/** `smem checkpoint`: the newest signed checkpoint (signing one if the tree grew). */
export const checkpoint: Command = {
  name: "checkpoint",
  summary: "print the signed checkpoint of the current tree (C2SP signed note)",
  usage: "smem checkpoint",
  flags: {},
  async run(_values, _args, ctx) {
    const ledger = await Ledger.open(ctx.dir);
    try {
      const stored = await ledger.checkpoint();
      ctx.result(
        { size: stored.checkpoint.size, root: stored.checkpoint.root.toBase64(), note: stored.note },
        stored.note.trimEnd(),
      );
    } finally {
      ledger.close();
    }
  },
};
