import { parseReceipt, receiptToTlogProof } from "../../core/receipt.ts";
import { type Command, stringFlag } from "../command.ts";
import { withLedger } from "../with_ledger.ts";
import { UsageError } from "../context.ts";
import { parseCount, parseOptionalCount } from "../numbers.ts";
import { COSIGNED_FLAG, cosignedSize } from "../cosigned.ts";
import { writeOutFile } from "../out_file.ts";

/** `smem receipt IDX --out FILE`. */
export const receipt: Command = {
  name: "receipt",
  summary: "write the receipt of leaf IDX (JSON, or a C2SP tlog-proof with --tlog-proof)",
  operands: 1,
  usage: "smem receipt IDX --out FILE [--size N | --cosigned] [--tlog-proof]",
  flags: {
    out: { type: "string", arg: "FILE", help: "where to write the receipt (default: stdout)" },
    size: {
      type: "string",
      arg: "N",
      help: "prove against the stored checkpoint of N leaves (default: newest)",
    },
    cosigned: COSIGNED_FLAG,
    "tlog-proof": { type: "boolean", help: "write the c2sp.org/tlog-proof@v1 text form" },
  },
  async run(values, args, ctx) {
    if (args.length !== 1) throw new UsageError("give one leaf index");
    return await withLedger(ctx, async (ledger) => {
      const index = parseCount(args[0], "IDX");
      const size = parseOptionalCount(stringFlag(values, "size"), "--size");
      const text = ledger.receipt(
        index,
        values.cosigned === true ? cosignedSize(ledger, index + 1, size, "--size") : size,
      );
      const output = values["tlog-proof"] === true ? receiptToTlogProof(parseReceipt(text)) : `${text}\n`;
      const out = stringFlag(values, "out");
      if (out === undefined) {
        ctx.result(JSON.parse(text), output.trimEnd());
        return;
      }
      await writeOutFile(out, output);
      ctx.result({ index, out }, `wrote receipt of leaf ${index} to ${out}`);
    });
  },
};
