import { type Command, stringFlag } from "../command.ts";
import { PASSPHRASE_FLAG, signerPassphrase } from "../passphrase.ts";
import { withLedger } from "../with_ledger.ts";
import { UsageError } from "../context.ts";

/** `smem erase CONTENT_ID --reason R`. */
export const erase: Command = {
  name: "erase",
  summary: "erase a payload blob (GDPR, retention) and append a tombstone record",
  operands: 1,
  usage: "smem erase CONTENT_ID --reason REASON",
  flags: {
    reason: { type: "string", arg: "REASON", help: "why, e.g. gdpr_erasure_request" },
    ...PASSPHRASE_FLAG,
  },
  async run(values, args, ctx) {
    const reason = stringFlag(values, "reason");
    if (args.length !== 1 || reason === undefined) throw new UsageError("give CONTENT_ID and --reason");
    return await withLedger(ctx, async (ledger) => {
      const result = await ledger.eraseBlob(args[0], reason);
      ctx.result(result, `erased ${args[0]}; tombstone at leaf ${result.index}`);
    }, { passphrase: signerPassphrase(values, ctx) });
  },
};
