import { requireCosignatures } from "../../core/cosignature.ts";
import { verifyBundleFile } from "../bundle_file.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../context.ts";
import {
  cosignedByText,
  TRUSTED_KEY_FLAG,
  trustedKeys,
  WITNESS_KEY_FLAG,
  witnessKeys,
} from "../trusted_keys.ts";

/** `smem verify-bundle FILE --key VKEY`: offline, streaming. */
export const verifyBundleCommand: Command = {
  name: "verify-bundle",
  summary: "verify an evidence bundle offline with a trusted verifier key, in bounded memory",
  operands: 1,
  usage: "smem verify-bundle FILE --key VKEY_FILE [--witness WKEY_FILE …]",
  verifying: true,
  flags: {
    key: TRUSTED_KEY_FLAG,
    witness: {
      ...WITNESS_KEY_FLAG,
      help: `${WITNESS_KEY_FLAG.help}: the bundle's final checkpoint must carry it`,
    },
  },
  async run(values, args, ctx) {
    if (args.length !== 1) throw new UsageError("give one bundle file");
    const { first: keys } = await trustedKeys(values.key);
    const witnesses = await witnessKeys(values.witness);
    const progress = ctx.progress("verify-bundle");
    try {
      const report = await verifyBundleFile(args[0], keys, (lines) => progress.update(lines));
      const { header, finalCheckpoint } = report;
      await requireCosignatures(finalCheckpoint.note, witnesses);
      ctx.result(
        {
          ok: true,
          origin: header.origin,
          from: header.from,
          to: header.to,
          records: report.records,
          checkpoints: report.checkpoints,
          chains: report.chains,
          blobs: report.blobs,
          size: finalCheckpoint.checkpoint.size,
          cosigned_by: witnesses.map((w) => w.name),
        },
        `ok: ${report.records} records (leaves ${header.from}…${header.to - 1}) of ${header.origin}, ` +
          `${report.checkpoints} signed checkpoints, ${report.blobs} blobs, final size ${finalCheckpoint.checkpoint.size}` +
          cosignedByText(witnesses),
      );
    } finally {
      progress.done();
    }
  },
};
