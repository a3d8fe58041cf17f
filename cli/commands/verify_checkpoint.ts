import { parseCheckpointExtension } from "../../core/checkpoint_extension.ts";
import { requireCosignatures } from "../../core/cosignature.ts";
import { isHashAlg } from "../../core/hash.ts";
import { verifyExtensionUnderAlg } from "../../ledger/extension_alg.ts";
import { replaceFile } from "../../ledger/files.ts";
import { type Command, stringFlag } from "../command.ts";
import { UsageError } from "../context.ts";
import {
  cosignedByText,
  TRUSTED_KEY_FLAG,
  trustedKeys,
  WITNESS_KEY_FLAG,
  witnessKeys,
} from "../trusted_keys.ts";
import { readInFile } from "../in_file.ts";

/** `smem verify-checkpoint FILE --previous NOTE --key VKEY`: offline, no ledger. */
export const verifyCheckpointCommand: Command = {
  name: "verify-checkpoint",
  summary: "verify offline that a newer checkpoint extends one you kept (signatures, consistency proof)",
  operands: 1,
  usage: "smem verify-checkpoint FILE|- --previous NOTE_FILE --key VKEY_FILE [--witness WKEY_FILE …] " +
    "[--alg b3|sha256] [--advance]",
  verifying: true,
  flags: {
    previous: {
      type: "string",
      arg: "FILE",
      help: "the signed checkpoint you kept (what smem checkpoint printed then)",
    },
    key: TRUSTED_KEY_FLAG,
    witness: { ...WITNESS_KEY_FLAG, help: `${WITNESS_KEY_FLAG.help}: the new checkpoint must carry it` },
    alg: {
      type: "string",
      arg: "ALG",
      help: "the log's hash, b3 or sha256 (default: whichever the proof holds under)",
    },
    advance: {
      type: "boolean",
      help: "once verified, replace the --previous file with the new checkpoint (for monitors)",
    },
  },
  async run(values, args, ctx) {
    if (args.length !== 1) {
      throw new UsageError("give one checkpoint extension file (smem checkpoint --since), or - for stdin");
    }
    const previousFile = stringFlag(values, "previous");
    if (previousFile === undefined) throw new UsageError("give the checkpoint you kept with --previous FILE");
    const alg = stringFlag(values, "alg");
    if (alg !== undefined && !isHashAlg(alg)) throw new UsageError(`--alg must be b3 or sha256, not ${alg}`);
    const { chain } = await trustedKeys(values.key);
    const text = await readInFile(args[0]);
    const previousNote = await readInFile(previousFile);
    const extension = parseCheckpointExtension(text);
    const witnesses = await witnessKeys(values.witness);
    const { verified, usedAlg } = await verifyExtensionUnderAlg(previousNote, extension, chain, alg);
    await requireCosignatures(verified.current.note, witnesses);
    const { previous, current } = verified;
    const grew = current.checkpoint.size !== previous.checkpoint.size;
    const advanced = values.advance === true && grew;
    if (advanced) replaceFile(previousFile, extension.checkpoint);
    const signedBy = current.note.verified.map((s) => s.name);
    // Equal sizes compare roots and hash nothing, so they do not tell the algorithm.
    const shownAlg = grew ? usedAlg : alg ?? null;
    ctx.result(
      {
        ok: true,
        origin: current.checkpoint.origin,
        old_size: previous.checkpoint.size,
        new_size: current.checkpoint.size,
        alg: shownAlg,
        proof: extension.proof.length,
        signed_by: signedBy,
        cosigned_by: witnesses.map((w) => w.name),
        advanced,
      },
      (grew
        ? `ok: ${current.checkpoint.origin} grew from ${previous.checkpoint.size} to ${current.checkpoint.size} ` +
          `leaves without rewriting them (${shownAlg}, ${extension.proof.length} proof hashes)`
        : `ok: ${current.checkpoint.origin} is unchanged at ${current.checkpoint.size} leaves, same root`) +
        `, signed by ${signedBy.join(", ")}${cosignedByText(witnesses)}${
          advanced ? `; ${previousFile} now holds the new checkpoint` : ""
        }`,
    );
  },
};
