import { isHashAlg } from "../../core/hash.ts";
import { type NoteVerifier, parseVerifierKey } from "../../core/keys.ts";
import { parseReceipt, receiptFromTlogProof, verifyReceipt } from "../../core/receipt.ts";
import { TLOG_PROOF_HEADER } from "../../core/tlog_proof.ts";
import { loadHasher } from "../../wasm/hasher.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../context.ts";

/** `smem verify-receipt FILE --key VKEY`: offline, no ledger. */
export const verifyReceiptCommand: Command = {
  name: "verify-receipt",
  summary: "verify a receipt (or tlog-proof) offline with a trusted verifier key; no ledger needed",
  usage: "smem verify-receipt FILE --key VKEY_FILE",
  verifying: true,
  flags: {
    key: {
      type: "string",
      arg: "FILE",
      help: "file holding the trusted verifier key (repeatable)",
      multiple: true,
    },
  },
  async run(values, args, ctx) {
    if (args.length !== 1) throw new UsageError("give one receipt file");
    const keys = await trustedKeys(values.key);
    const text = await Deno.readTextFile(args[0]);
    const receipt = text.startsWith(TLOG_PROOF_HEADER)
      ? receiptFromTlogProof(text)
      : parseReceipt(text.trimEnd());
    const selfHash = (receipt.record as { self_hash?: unknown })?.self_hash;
    const alg = typeof selfHash === "string" ? selfHash.slice(0, selfHash.indexOf(":")) : "";
    if (!isHashAlg(alg)) throw new UsageError("the receipt's record has no valid self_hash");
    const verified = await verifyReceipt(receipt, keys, await loadHasher(alg));
    const { record, index, checkpoint } = verified;
    ctx.result(
      {
        ok: true,
        index,
        self_hash: record.selfHash,
        checkpoint_size: checkpoint.checkpoint.size,
        origin: checkpoint.checkpoint.origin,
        signed_by: checkpoint.note.verified.map((s) => s.name),
      },
      `ok: leaf ${index} (${record.record.writer_id}/${record.record.stream}#${record.record.seq} ${record.record.kind}) ` +
        `is in ${checkpoint.checkpoint.origin} at size ${checkpoint.checkpoint.size}, signed by ${
          checkpoint.note.verified.map((s) => s.name).join(", ")
        }`,
    );
  },
};

/** Parses the verifier keys named by repeated --key flags. */
export async function trustedKeys(flag: unknown): Promise<NoteVerifier[]> {
  const files = Array.isArray(flag) ? flag : typeof flag === "string" ? [flag] : [];
  if (files.length === 0) throw new UsageError("give the trusted verifier key with --key FILE");
  return await Promise.all(
    files.map(async (file) => parseVerifierKey((await Deno.readTextFile(file)).trim())),
  );
}
