import { startServer } from "../../server/serve.ts";
import { type Command, stringFlag } from "../command.ts";
import { parseOptionalCount } from "../numbers.ts";
import { PASSPHRASE_FLAG, signerPassphrase } from "../passphrase.ts";
import { stopSignal } from "../stop_signal.ts";
import { WITNESS_KEY_FLAG, witnessKeys } from "../trusted_keys.ts";

/** `smem serve`: the loopback HTTP API and dashboard until SIGINT/SIGTERM. */
export const serve: Command = {
  name: "serve",
  summary: "serve the loopback HTTP API and dashboard (docs/API.md) until SIGINT or SIGTERM",
  operands: 0,
  usage: "smem serve [--host 127.0.0.1|::1] [--port 8787] [--token-file FILE] [--auth-reads] [--queue N]\n" +
    "       [--witness WKEY_FILE …]",
  flags: {
    host: {
      type: "string",
      arg: "ADDR",
      help: "loopback address to bind (127.0.0.1 or ::1; default 127.0.0.1)",
    },
    port: { type: "string", arg: "PORT", help: "TCP port (default 8787; 0 picks a free one)" },
    "token-file": {
      type: "string",
      arg: "FILE",
      help: "read the bearer token from FILE (default: DIR/api.token, made at first start)",
    },
    "auth-reads": { type: "boolean", help: "require the token for reads and /metrics too" },
    queue: { type: "string", arg: "N", help: "most drafts in flight before 503 (default 10000)" },
    "max-body": { type: "string", arg: "BYTES", help: "largest request body (default 16777216)" },
    witness: {
      ...WITNESS_KEY_FLAG,
      help:
        "take cosignatures from this witness at POST /v1/cosignatures (its verifier key file; repeatable)",
    },
    ...PASSPHRASE_FLAG,
  },
  async run(values, _args, ctx) {
    const server = await startServer({
      dir: ctx.dir,
      host: stringFlag(values, "host"),
      port: parseOptionalCount(stringFlag(values, "port"), "--port"),
      tokenFile: stringFlag(values, "token-file"),
      authReads: values["auth-reads"] === true,
      queueCapacity: parseOptionalCount(stringFlag(values, "queue"), "--queue"),
      maxBodyBytes: parseOptionalCount(stringFlag(values, "max-body"), "--max-body"),
      passphrase: signerPassphrase(values, ctx),
      witnesses: await witnessKeys(values.witness),
    });
    const stopped = stopSignal();
    ctx.result(
      { listening: server.url, token_file: server.token.file, token_generated: server.token.generated },
      `smem serve: listening on ${server.url} (dashboard ${server.url}/)\n` +
        `bearer token for writes: ${server.token.file}${server.token.generated ? " (generated now)" : ""}`,
    );
    const signal = await stopped;
    ctx.info(`smem serve: ${signal}: draining and writing a final checkpoint`);
    const size = await server.shutdown();
    ctx.result(
      { stopped: signal, size },
      `smem serve: stopped on ${signal} at size ${size}; everything acknowledged is durable`,
    );
  },
};
