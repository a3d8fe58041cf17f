import { type HashAlg, isHashAlg } from "../../core/hash.ts";
import { Witness, WITNESS_KEY_FILE } from "../../ledger/witness.ts";
import { type Command, stringFlag, type Values } from "../command.ts";
import { type Context, UsageError } from "../context.ts";
import { newKeyEncryption, PASSPHRASE_FLAG, passphraseOf } from "../passphrase.ts";
import { logsOf, TRUSTED_KEY_FLAG, trustedKeys } from "../trusted_keys.ts";
import { stopSignal } from "../stop_signal.ts";
import { parseOptionalCount } from "../numbers.ts";
import { startWitnessServer } from "../../server/witness_serve.ts";
import { WORK_FACTOR_FLAG } from "../work_factor.ts";
import { writeOutFile } from "../out_file.ts";
import { readInFile } from "../in_file.ts";

/**
 * `smem witness init | key | add-checkpoint`: cosign other logs' checkpoints, offline, after
 * checking each extends the last one this witness cosigned (docs/FORMAT.md §5).
 */
export const witness: Command = {
  name: "witness",
  summary: "act as a witness: check that a log's new checkpoint extends the last one seen, and cosign it",
  operands: 2,
  usage: "smem witness init --name NAME [--encrypt-key [--work-factor N]]\n" +
    "       smem witness key\n" +
    "       smem witness add-checkpoint FILE|- --log VKEY_FILE [--alg b3|sha256] [--out FILE]\n" +
    "       smem witness serve --log VKEY_FILE [--log VKEY_FILE …] [--host 127.0.0.1|::1] [--port 8788]",
  verifying: true,
  flags: {
    name: { type: "string", arg: "NAME", help: "with init: the witness's key name, e.g. witness.example/w1" },
    "encrypt-key": { type: "boolean", help: "with init: store the witness key encrypted with a passphrase" },
    log: {
      ...TRUSTED_KEY_FLAG,
      help:
        "the log's verifier key file, optionally with its rotation chain (with serve: one file a log, repeatable)",
    },
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
    host: { type: "string", arg: "ADDR", help: "with serve: loopback address to bind (default 127.0.0.1)" },
    port: { type: "string", arg: "PORT", help: "with serve: TCP port (default 8788; 0 picks a free one)" },
    "max-body": { type: "string", arg: "BYTES", help: "with serve: largest request body (default 65536)" },
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
    if (action === "serve") return await serveWitness(values, ctx);
    throw new UsageError(
      `give a witness action: init, key, add-checkpoint or serve (got ${JSON.stringify(action ?? "")})`,
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

function algFlag(values: Values): HashAlg | undefined {
  const alg = stringFlag(values, "alg");
  if (alg !== undefined && !isHashAlg(alg)) throw new UsageError(`--alg must be b3 or sha256, not ${alg}`);
  return alg;
}

async function addCheckpoint(values: Values, args: string[], ctx: Context): Promise<void> {
  if (args.length !== 1) {
    throw new UsageError("give one add-checkpoint request (smem checkpoint --since), or - for stdin");
  }
  const alg = algFlag(values);
  if (values.log === undefined) throw new UsageError("give the log's verifier key with --log FILE");
  const { chain } = await trustedKeys(values.log);
  const request = await readInFile(args[0]);
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

/** `witness serve`: C2SP tlog-witness's add-checkpoint over loopback HTTP until SIGINT or SIGTERM. */
async function serveWitness(values: Values, ctx: Context): Promise<void> {
  const alg = algFlag(values);
  const logs = (await logsOf(values.log)).map((log) => ({ ...log, alg }));
  const server = await startWitnessServer({
    dir: ctx.dir,
    logs,
    host: stringFlag(values, "host"),
    port: parseOptionalCount(stringFlag(values, "port"), "--port"),
    maxBodyBytes: parseOptionalCount(stringFlag(values, "max-body"), "--max-body"),
    passphrase: passphraseOf(values, `${ctx.dir}/${WITNESS_KEY_FILE}`),
  });
  const stopped = stopSignal();
  ctx.result(
    {
      listening: server.url,
      add_checkpoint: `${server.url}/add-checkpoint`,
      verifier_key: server.verifierKey,
      logs: logs.map((log) => log.origin),
    },
    `smem witness serve: listening on ${server.url} (POST ${server.url}/add-checkpoint)\n` +
      `witnessing ${logs.map((log) => log.origin).join(", ")}\nwitness verifier key: ${server.verifierKey}`,
  );
  const signal = await stopped;
  await server.shutdown();
  ctx.result({ stopped: signal }, `smem witness serve: stopped on ${signal}`);
}
