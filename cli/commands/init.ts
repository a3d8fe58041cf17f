import { isHashAlg } from "../../core/hash.ts";
import { Ledger } from "../../ledger/ledger.ts";
import { type Command, stringFlag } from "../command.ts";
import { UsageError } from "../context.ts";

/** `smem init`: creates a ledger directory and prints its verifier key. */
export const init: Command = {
  name: "init",
  summary: "create a ledger (hash algorithm, origin name, optional imported signer key)",
  usage: "smem init [--alg b3|sha256] [--name NAME] [--signer-key FILE]",
  flags: {
    alg: {
      type: "string",
      arg: "ALG",
      help: "hash algorithm, b3 (default) or sha256; fixed for the ledger's life",
    },
    name: {
      type: "string",
      arg: "NAME",
      help: "origin name; the origin is NAME/<ledger id> (default securamem)",
    },
    "signer-key": {
      type: "string",
      arg: "FILE",
      help: "import a signed-note signer key (PRIVATE+KEY+…) instead of generating one",
    },
  },
  async run(values, _args, ctx) {
    const alg = stringFlag(values, "alg") ?? "b3";
    if (!isHashAlg(alg)) throw new UsageError(`--alg must be b3 or sha256, got ${JSON.stringify(alg)}`);
    const keyFile = stringFlag(values, "signer-key");
    const signerKey = keyFile === undefined ? undefined : (await Deno.readTextFile(keyFile)).trim();
    const ledger = await Ledger.create(ctx.dir, { alg, name: stringFlag(values, "name"), signerKey });
    const result = { dir: ctx.dir, origin: ledger.meta.origin, alg, verifier_key: ledger.verifierKey };
    ledger.close();
    ctx.result(
      result,
      `created ledger ${result.origin} (${alg}) in ${ctx.dir}\nverifier key (give it to whoever checks your evidence):\n${result.verifier_key}`,
    );
  },
};
