import type { Ledger } from "../../ledger/ledger.ts";
import { type Command, stringFlag, type Values } from "../command.ts";
import { type Context, UsageError } from "../context.ts";
import {
  CHANGED_PASSPHRASE,
  NEW_PASSPHRASE_FLAG,
  newKeyEncryption,
  PASSPHRASE_FLAG,
  signerPassphrase,
} from "../passphrase.ts";
import { withLedger } from "../with_ledger.ts";
import { WORK_FACTOR_FLAG } from "../work_factor.ts";
import { writeOutFile } from "../out_file.ts";

/** `smem keys list | export | rotate`. */
export const keys: Command = {
  name: "keys",
  summary: "list, export (or the whole chain), rotate the signer key, or encrypt or decrypt its file",
  operands: 1,
  usage:
    "smem keys list\n       smem keys export [--out FILE] [--chain]\n       smem keys rotate [--keep-old]\n" +
    "       smem keys encrypt [--work-factor N] [--new-passphrase-file FILE]\n       smem keys decrypt",
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
    ...WORK_FACTOR_FLAG,
    ...PASSPHRASE_FLAG,
    ...NEW_PASSPHRASE_FLAG,
  },
  async run(values, args, ctx) {
    const action = args[0] ?? "list";
    const signs = action === "rotate" || action === "encrypt" || action === "decrypt";
    return await withLedger(ctx, async (ledger) => {
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
      if (action === "encrypt" || action === "decrypt") {
        await changeEncryption(ledger, action, values, ctx);
        return;
      }
      if (action !== "export") {
        throw new UsageError(
          `unknown keys action ${JSON.stringify(action)} (list, export, rotate, encrypt, decrypt)`,
        );
      }
      const chain = values.chain === true;
      const key = chain ? ledger.verifierKeys()[0] : ledger.verifierKey;
      if (key === undefined) throw new UsageError("the signer key file is missing");
      const lines = chain
        ? [key, ...ledger.rotations().map((statement) => `rotation ${JSON.stringify(statement)}`)]
        : [key];
      const out = stringFlag(values, "out");
      if (out !== undefined) await writeOutFile(out, `${lines.join("\n")}\n`);
      ctx.result(
        { verifier_key: key, chain: lines, out: out ?? null },
        out === undefined ? lines.join("\n") : `wrote ${out}`,
      );
    }, signs ? { passphrase: signerPassphrase(values, ctx) } : {});
  },
};

/**
 * `keys encrypt`: the key file encrypted with a new passphrase (a key already encrypted gets the
 * new one: from --new-passphrase-file, else asked twice); `keys decrypt`: the key file in plain text.
 */
async function changeEncryption(ledger: Ledger, action: string, values: Values, ctx: Context): Promise<void> {
  if (action === "decrypt") {
    if (!ledger.keyEncrypted) throw new UsageError(`${ledger.paths.signerKey} is not encrypted`);
    await ledger.encryptKey(undefined);
    ctx.result({ key_encrypted: false }, `${ledger.paths.signerKey} is now plain text (mode 0600)`);
    return;
  }
  const changing = ledger.keyEncrypted;
  const encryption = await newKeyEncryption(
    values,
    ledger.paths.signerKey,
    changing ? CHANGED_PASSPHRASE : undefined,
  );
  const workFactor = encryption.workFactor;
  await ledger.encryptKey(encryption);
  ctx.result(
    { key_encrypted: true, work_factor: workFactor, passphrase_changed: changing },
    `${ledger.paths.signerKey} is now encrypted with ${
      changing ? "the new" : "a"
    } passphrase (scrypt 2^${workFactor})`,
  );
}
