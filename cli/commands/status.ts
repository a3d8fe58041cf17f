import type { Command } from "../command.ts";
import { withLedger } from "../with_ledger.ts";

/** `smem status`: size, newest checkpoint, keys. */
export const status: Command = {
  name: "status",
  summary: "show the ledger's size, newest checkpoint and key",
  usage: "smem status",
  flags: {},
  async run(_values, _args, ctx) {
    return await withLedger(ctx, (ledger) => {
      const { checkpoint } = ledger.latestCheckpoint();
      const result = {
        dir: ctx.dir,
        origin: ledger.meta.origin,
        alg: ledger.meta.alg,
        size: ledger.size,
        checkpoint: { size: checkpoint.size, root: checkpoint.root.toBase64() },
        verifier_key: ledger.verifierKey ?? null,
      };
      ctx.result(
        result,
        [
          `ledger    ${result.origin} (${result.alg})`,
          `records   ${result.size}`,
          `checkpoint size ${checkpoint.size}, root ${result.checkpoint.root}`,
          `key       ${result.verifier_key ?? "(signer key file missing: read-only)"}`,
        ].join("\n"),
      );
    });
  },
};
