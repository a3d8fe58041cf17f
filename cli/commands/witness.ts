import { isHashAlg } from "../../core/hash.ts";
import { Witness, WITNESS_KEY_FILE } from "../../ledger/witness.ts";
import { type Command, stringFlag, type Values } from "../command.ts";
import { type Context, UsageError } from "../context.ts";
import { newKeyEncryption, PASSPHRASE_FLAG, passphraseOf } from "../passphrase.ts";
import { TRUSTED_KEY_FLAG, trustedKeys } from "../trusted_keys.ts";
import { WORK_FACTOR_FLAG } from "../work_factor.ts";
import { writeOutFile } from "../out_file.ts";

/**
 * `smem witness init | key | add-checkpoint`: cosign other logs' checkpoints, offline, after
 * checking each extends the last one this witness cosigned (docs/FORMAT.md §5).
 */
export const witness: Command = {
  name: "witness",
  summary: "act as a witness: check that a log's new checkpoint extends the last one seen, and cosign it",
  usage: "smem witness init --name NAME [--encrypt-key [--work-factor N]]\n" +
    "       smem witness key\n" +
    "       smem witness add-checkpoint FILE|- --log VKEY_FILE [--alg b3|sha256] [--out FILE]",
  verifying: true,
  flags: {
    name: { type: "string", arg: "NAME", help: "with init: the witness's key name, e.g. witness.example/w1" },
    "encrypt-key": { type: "boolean", help: "with init: store the witness key encrypted with a passphrase" },
    log: { ...TRUSTED_KEY_FLAG, help: "the log's verifier key file, optionally with its rotation chain" },
    alg: {
      type: "string",
      arg: "ALG",
      help: "the log's hash, b3 or sha256 (default: the one the proof holds under)",
    },
    out: {
      type: "string",
      arg: "FILE",
      help:
        "write the request with the cosigned checkpoint in it to FILE, for monitors (verify-checkpoint --witness)",
    },
    ...WORK_FACTOR_FLAG,
    ...PASSPHRASE_FLAG,
  },
  async run(values, args, ctx) {
    const action = args[0];
    if (action === "init") return await init(values, ctx);
    if (action === "key") {
      const key = Witness.verifierKeyOf(ctx.dir);
      ctx.result({ verifier_key: key }, key);
      return;
    }
    if (action === "add-checkpoint") return await addCheckpoint(values, args.slice(1), ctx);
    throw new UsageError(
      `give a witness action: init, key or add-checkpoint (got ${JSON.stringify(action ?? "")})`,
    );
  },
};

async function init(values: Values, ctx: Context): Promise<void> {
  const name = stringFlag(values, "name");
  if (name === undefined) throw new UsageError("give the witness's key name with --name");
  const encryption = values["encrypt-key"] === true
    ? await newKeyEncryption(values, `${ctx.dir}/${WITNESS_KEY_FILE}`)
    : undefined;
  const created = await Witness.create(ctx.dir, name, encryption);
  ctx.result(
    { dir: ctx.dir, verifier_key: created.verifierKey, key_encrypted: encryption !== undefined },
    `created witness ${name} in ${ctx.dir}\nwitness verifier key (give it to whoever checks cosignatures):\n` +
      created.verifierKey,
  );
}

async function addCheckpoint(values: Values, args: string[], ctx: Context): Promise<void> {
  if (args.length !== 1) {
    throw new UsageError("give one add-checkpoint request (smem checkpoint --since), or - for stdin");
  }
  const alg = stringFlag(values, "alg");
  if (alg !== undefined && !isHashAlg(alg)) throw new UsageError(`--alg must be b3 or sha256, not ${alg}`);
  if (values.log === undefined) throw new UsageError("give the log's verifier key with --log FILE");
  const { chain } = await trustedKeys(values.log);
  const request = args[0] === "-"
    ? await new Response(Deno.stdin.readable).text()
    : await Deno.readTextFile(args[0]);
  const opened = await Witness.open(ctx.dir, passphraseOf(values, `${ctx.dir}/${WITNESS_KEY_FILE}`));
  const result = await opened.addCheckpoint(request, chain, alg);
  const out = stringFlag(values, "out");
  if (out !== undefined) await writeOutFile(out, result.extension);
  ctx.result(
    {
      origin: result.origin,
      old_size: result.oldSize,
      size: result.size,
      alg: result.alg,
      cosignature: result.cosignature,
      note: result.note,
    },
    out === undefined
      ? result.cosignature.trimEnd()
      : `cosigned ${result.origin} at size ${result.size} (held ${result.oldSize} before); wrote ${out}`,
  );
}
