import { type Command, stringFlag } from "../command.ts";
import { withLedger } from "../with_ledger.ts";
import { UsageError } from "../context.ts";
import { parseCount, parseOptionalCount } from "../numbers.ts";

/** `smem prove`: inclusion or consistency proofs. */
export const prove: Command = {
  name: "prove",
  summary: "print an inclusion proof of leaf IDX, or a consistency proof between two sizes",
  operands: 2,
  usage: "smem prove IDX [--size N]\n       smem prove --consistency OLD NEW",
  flags: {
    size: { type: "string", arg: "N", help: "tree size to prove against (default: current)" },
    consistency: {
      type: "boolean",
      help: "prove that the tree of OLD leaves is a prefix of the tree of NEW",
    },
  },
  async run(values, args, ctx) {
    return await withLedger(ctx, (ledger) => {
      if (values.consistency === true) {
        if (args.length !== 2) throw new UsageError("--consistency takes OLD and NEW sizes");
        const [oldSize, newSize] = [parseCount(args[0], "OLD"), parseCount(args[1], "NEW")];
        const proof = ledger.consistencyProof(oldSize, newSize).map((h) => h.toBase64());
        const value = {
          old_size: oldSize,
          new_size: newSize,
          old_root: ledger.rootAt(oldSize).toBase64(),
          new_root: ledger.rootAt(newSize).toBase64(),
          proof,
        };
        ctx.result(
          value,
          [
            `consistency ${oldSize} → ${newSize}`,
            `old root ${value.old_root}`,
            `new root ${value.new_root}`,
            ...proof,
          ].join("\n"),
        );
        return;
      }
      if (args.length !== 1) throw new UsageError("give one leaf index");
      const index = parseCount(args[0], "IDX");
      const size = parseOptionalCount(stringFlag(values, "size"), "--size") ?? ledger.size;
      const proof = ledger.inclusionProof(index, size).map((h) => h.toBase64());
      const value = { index, size, root: ledger.rootAt(size).toBase64(), proof };
      ctx.result(
        value,
        [`inclusion of leaf ${index} in size ${size}`, `root ${value.root}`, ...proof].join("\n"),
      );
    });
  },
};
