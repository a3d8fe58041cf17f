import { parseHash } from "../../core/hash.ts";
import type { Command } from "../command.ts";
import { withLedger } from "../with_ledger.ts";
import { UsageError } from "../context.ts";
import { parseCount } from "../numbers.ts";

/** `smem show IDX|HASH`: one record. */
export const show: Command = {
  name: "show",
  summary: "show one record by leaf index or self_hash",
  operands: 1,
  usage: "smem show IDX|HASH",
  flags: {},
  async run(_values, args, ctx) {
    const target = args[0];
    if (target === undefined) throw new UsageError("give a leaf index or a self_hash");
    return await withLedger(ctx, (ledger) => {
      const index = target.includes(":")
        ? ledger.indexOfHash(parseHash(target).digest)
        : parseCount(target, "IDX");
      if (index === undefined) throw new UsageError(`no record has self_hash ${target}`);
      const record = ledger.record(index);
      const value = { index, self_hash: record.selfHash, record: JSON.parse(record.text) };
      ctx.result(value, `leaf ${index}  ${record.selfHash}\n${JSON.stringify(value.record, null, 2)}`);
    });
  },
};
