import { type Command, stringFlag } from "../command.ts";
import { withLedger } from "../with_ledger.ts";
import { UsageError } from "../context.ts";

/** `smem keys list | export`. */
export const keys: Command = {
  name: "keys",
  summary: "list the log's verifier keys, or export the current one",
  usage: "smem keys list\n       smem keys export [--out FILE]",
  flags: { out: { type: "string", arg: "FILE", help: "write the verifier key to FILE" } },
  async run(values, args, ctx) {
    return await withLedger(ctx, async (ledger) => {
      const action = args[0] ?? "list";
      if (action === "list") {
        const all = ledger.verifierKeys();
        ctx.result({ keys: all, current: ledger.verifierKey ?? null }, all.join("\n"));
        return;
      }
      if (action !== "export") {
        throw new UsageError(`unknown keys action ${JSON.stringify(action)} (list, export)`);
      }
      const key = ledger.verifierKey;
      if (key === undefined) throw new UsageError("the signer key file is missing");
      const out = stringFlag(values, "out");
      if (out !== undefined) await Deno.writeTextFile(out, `${key}\n`);
      ctx.result({ verifier_key: key, out: out ?? null }, out === undefined ? key : `wrote ${out}`);
    });
  },
};
