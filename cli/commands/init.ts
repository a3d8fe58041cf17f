import { isHashAlg } from "../../core/hash.ts";
import { ledgerPaths } from "../../ledger/files.ts";
import { Ledger } from "../../ledger/ledger.ts";
import { type KeyEncryption, readSignerKeyFile } from "../../ledger/signer_key_file.ts";
import { type Command, stringFlag, type Values } from "../command.ts";
import { UsageError } from "../context.ts";
import { newKeyEncryption, PASSPHRASE_FLAG, passphraseOf } from "../passphrase.ts";
import { parseWorkFactor, WORK_FACTOR_FLAG } from "../work_factor.ts";

/** `smem init`: creates a ledger directory and prints its verifier key. */
export const init: Command = {
  name: "init",
  summary: "create a ledger (hash algorithm, origin name, optional imported signer key)",
  operands: 0,
  usage: "smem init [--alg b3|sha256] [--name NAME] [--signer-key FILE] [--encrypt-key [--work-factor N]]",
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
      help:
        "import a signed-note signer key (PRIVATE+KEY+…, plain or age-encrypted) instead of generating one",
    },
    "encrypt-key": {
      type: "boolean",
      help: "store the signer key encrypted with a passphrase (an age file; implied by an encrypted import)",
    },
    ...WORK_FACTOR_FLAG,
    ...PASSPHRASE_FLAG,
  },
  async run(values, _args, ctx) {
    const alg = stringFlag(values, "alg") ?? "b3";
    if (!isHashAlg(alg)) throw new UsageError(`--alg must be b3 or sha256, got ${JSON.stringify(alg)}`);
    const imported = await importedKey(values);
    const encryptKey = imported?.encryption ??
      (values["encrypt-key"] === true
        ? await newKeyEncryption(values, ledgerPaths(ctx.dir).signerKey)
        : undefined);
    if (encryptKey === undefined && values["work-factor"] !== undefined) {
      throw new UsageError("--work-factor goes with --encrypt-key");
    }
    const ledger = await Ledger.create(ctx.dir, {
      alg,
      name: stringFlag(values, "name"),
      signerKey: imported?.text,
      encryptKey,
    });
    const result = {
      dir: ctx.dir,
      origin: ledger.meta.origin,
      alg,
      verifier_key: ledger.verifierKey,
      key_encrypted: encryptKey !== undefined,
    };
    ledger.close();
    ctx.result(
      result,
      `created ledger ${result.origin} (${alg}) in ${ctx.dir}${
        result.key_encrypted ? " (signer key encrypted with a passphrase)" : ""
      }\nverifier key (give it to whoever checks your evidence):\n${result.verifier_key}`,
    );
  },
};

/** The key `--signer-key` names, opened with its passphrase when it is encrypted. */
async function importedKey(
  values: Values,
): Promise<{ text: string; encryption?: KeyEncryption } | undefined> {
  const file = stringFlag(values, "signer-key");
  if (file === undefined) return undefined;
  const state = await readSignerKeyFile(file, passphraseOf(values, file));
  if (state.kind === "missing") throw new UsageError(`--signer-key: ${file} does not exist`);
  if (state.kind === "locked") throw new UsageError(`--signer-key: ${file} is encrypted`);
  const workFactor = parseWorkFactor(values);
  const encryption = state.encryption === undefined || workFactor === undefined
    ? state.encryption
    : { ...state.encryption, workFactor };
  return { text: state.text, encryption };
}
