import { parseReceipt, receiptToTlogProof } from "../../core/receipt.ts";
import { type Command, stringFlag } from "../command.ts";
import { withLedger } from "../with_ledger.ts";
import { UsageError } from "../context.ts";
import { parseCount, parseOptionalCount } from "../numbers.ts";

/** `smem receipt IDX --out FILE`. */
export const receipt: Command = {
  name: "receipt",
  summary: "write the receipt of leaf IDX (JSON, or a C2SP tlog-proof with --tlog-proof)",
  usage: "smem receipt IDX --out FILE [--size N] [--tlog-proof]",
  flags: {
    out: { type: "string", arg: "FILE", help: "where to write the receipt (default: stdout)" },
    size: {
      type: "string",
      arg: "N",
      help: "prove against the stored checkpoint of N leaves (default: newest)",
    },
    "tlog-proof": { type: "boolean", help: "write the c2sp.org/tlog-proof@v1 text form" },
  },
  async run(values, args, ctx) {
    if (args.length !== 1) throw new UsageError("give one leaf index");
    return await withLedger(ctx, async (ledger) => {
      const text = ledger.receipt(
        parseCount(args[0], "IDX"),
        parseOptionalCount(stringFlag(values, "size"), "--size"),
      );
      const output = values["tlog-proof"] === true ? receiptToTlogProof(parseReceipt(text)) : `${text}\n`;
      const out = stringFlag(values, "out");
      if (out === undefined) {
        ctx.result(JSON.parse(text), output.trimEnd());
        return;
      }
      await Deno.writeTextFile(out, output);
      ctx.result({ index: Number(args[0]), out }, `wrote receipt of leaf ${args[0]} to ${out}`);
    });
  },
};
