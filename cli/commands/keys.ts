import { type Command, stringFlag } from "../command.ts";
import { withLedger } from "../with_ledger.ts";
import { UsageError } from "../context.ts";

/** `smem keys list | export | rotate`. */
export const keys: Command = {
  name: "keys",
  summary: "list the log's verifier keys, export the current one (or the whole chain), or rotate",
  usage:
    "smem keys list\n       smem keys export [--out FILE] [--chain]\n       smem keys rotate [--keep-old]",
  flags: {
    out: { type: "string", arg: "FILE", help: "write the verifier key to FILE" },
    chain: {
      type: "boolean",
      help: "export the first key and every rotation statement, for verifiers that trust the first key",
    },
    "keep-old": {
      type: "boolean",
      help: "with rotate: keep the old secret in signer.key.<id>.old instead of destroying it",
    },
  },
  async run(values, args, ctx) {
    return await withLedger(ctx, async (ledger) => {
      const action = args[0] ?? "list";
      if (action === "list") {
        const all = ledger.verifierKeys();
        ctx.result({ keys: all, current: ledger.verifierKey ?? null }, all.join("\n"));
        return;
      }
      if (action === "rotate") {
        const rotated = await ledger.rotateKey({ keepOld: values["keep-old"] === true });
        ctx.result(
          { old_key: rotated.oldKey, new_key: rotated.newKey, index: rotated.index },
          `rotated at leaf ${rotated.index}\nold ${rotated.oldKey}\nnew ${rotated.newKey}`,
        );
        return;
      }
      if (action !== "export") {
        throw new UsageError(`unknown keys action ${JSON.stringify(action)} (list, export, rotate)`);
      }
      const chain = values.chain === true;
      const key = chain ? ledger.verifierKeys()[0] : ledger.verifierKey;
      if (key === undefined) throw new UsageError("the signer key file is missing");
      const lines = chain
        ? [key, ...ledger.rotations().map((statement) => `rotation ${JSON.stringify(statement)}`)]
        : [key];
      const out = stringFlag(values, "out");
      if (out !== undefined) await Deno.writeTextFile(out, `${lines.join("\n")}\n`);
      ctx.result(
        { verifier_key: key, chain: lines, out: out ?? null },
        out === undefined ? lines.join("\n") : `wrote ${out}`,
      );
    });
  },
};
