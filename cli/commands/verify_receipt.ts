import { requireCosignatures } from "../../core/cosignature.ts";
import { isHashAlg } from "../../core/hash.ts";
import { checkpointOfNote } from "../../core/checkpoint.ts";
import { parseReceipt, receiptFromTlogProof, verifyReceipt } from "../../core/receipt.ts";
import { TLOG_PROOF_HEADER } from "../../core/tlog_proof.ts";
import { loadHasher } from "../../wasm/hasher.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../context.ts";
import { readInFile } from "../in_file.ts";
import {
  cosignedByText,
  TRUSTED_KEY_FLAG,
  trustedKeys,
  WITNESS_KEY_FLAG,
  witnessKeys,
} from "../trusted_keys.ts";

/** `smem verify-receipt FILE --key VKEY`: offline, no ledger. */
export const verifyReceiptCommand: Command = {
  name: "verify-receipt",
  summary: "verify a receipt (or tlog-proof) offline with a trusted verifier key; no ledger needed",
  operands: 1,
  usage: "smem verify-receipt FILE --key VKEY_FILE [--witness WKEY_FILE …]",
  verifying: true,
  flags: {
    key: TRUSTED_KEY_FLAG,
    witness: {
      ...WITNESS_KEY_FLAG,
      help: `${WITNESS_KEY_FLAG.help}: the receipt's checkpoint must carry it`,
    },
  },
  async run(values, args, ctx) {
    if (args.length !== 1) throw new UsageError("give one receipt file");
    const { chain } = await trustedKeys(values.key);
    const witnesses = await witnessKeys(values.witness);
    const text = await readInFile(args[0]);
    const receipt = text.startsWith(TLOG_PROOF_HEADER)
      ? receiptFromTlogProof(text)
      : parseReceipt(text.trimEnd());
    const keys = chain.verifiersFor(checkpointOfNote(receipt.checkpoint).size);
    const selfHash = (receipt.record as { self_hash?: unknown })?.self_hash;
    const alg = typeof selfHash === "string" ? selfHash.slice(0, selfHash.indexOf(":")) : "";
    if (!isHashAlg(alg)) throw new UsageError("the receipt's record has no valid self_hash");
    const verified = await verifyReceipt(receipt, keys, await loadHasher(alg));
    const { record, index, checkpoint } = verified;
    await requireCosignatures(checkpoint.note, witnesses);
    ctx.result(
      {
        ok: true,
        index,
        self_hash: record.selfHash,
        checkpoint_size: checkpoint.checkpoint.size,
        origin: checkpoint.checkpoint.origin,
        signed_by: checkpoint.note.verified.map((s) => s.name),
        cosigned_by: witnesses.map((w) => w.name),
      },
      `ok: leaf ${index} (${record.record.writer_id}/${record.record.stream}#${record.record.seq} ${record.record.kind}) ` +
        `is in ${checkpoint.checkpoint.origin} at size ${checkpoint.checkpoint.size}, signed by ${
          checkpoint.note.verified.map((s) => s.name).join(", ")
        }${cosignedByText(witnesses)}`,
    );
  },
};
