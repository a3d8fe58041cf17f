import { readLedgerStatus } from "../../ledger/status.ts";
import type { Command } from "../command.ts";

/** `smem status`: size, newest checkpoint, key. */
export const status: Command = {
  name: "status",
  summary: "show the ledger's size, newest checkpoint and key",
  operands: 0,
  usage: "smem status",
  flags: {},
  async run(_values, _args, ctx) {
    const status = await readLedgerStatus(ctx.dir);
    const result = {
      dir: ctx.dir,
      origin: status.origin,
      alg: status.alg,
      size: status.size,
      checkpoint: { size: status.checkpoint.size, root: status.checkpoint.root.toBase64() },
      verifier_key: status.verifierKey ?? null,
      key_encrypted: status.keyEncrypted,
    };
    ctx.result(
      result,
      [
        `ledger    ${result.origin} (${result.alg})`,
        `records   ${result.size}`,
        `checkpoint size ${result.checkpoint.size}, root ${result.checkpoint.root}`,
        `key       ${result.verifier_key ?? "(signer key file missing: read-only)"}${
          status.keyEncrypted ? " (signer key encrypted with a passphrase)" : ""
        }`,
      ].join("\n"),
    );
  },
};
