/**
 * The C2SP `tlog-proof` text form of an inclusion proof (c2sp.org/tlog-proof@v1), so that tools
 * of that ecosystem can check a SecuraMem receipt:
 *
 *     c2sp.org/tlog-proof@v1
 *     [extra <base64>]
 *     index <N>
 *     <base64 hash, leaf-up, one per line>
 *     <blank line>
 *     <checkpoint note, verbatim>
 *
 * SecuraMem writes the canonical sealed record as the `extra` data, so the file alone carries the
 * entry whose leaf is proven (extra data is unauthenticated: a verifier re-hashes it).
 * @module
 */
import { ReceiptError } from "./errors.ts";
import { fromBase64Strict, toBase64 } from "./encoding.ts";
import { DIGEST_BYTES } from "./hash.ts";

/**
 * First line of every tlog-proof.
 *
 * @example
 * ```ts
 * import { TLOG_PROOF_HEADER } from "../mod.ts";
 * TLOG_PROOF_HEADER; // "c2sp.org/tlog-proof@v1"
 * ```
 */
export const TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1";

/** The parts of a tlog-proof. */
export interface TlogProof {
  readonly extra?: Uint8Array;
  readonly index: number;
  readonly proof: readonly Uint8Array[];
  readonly checkpoint: string;
}

/**
 * Formats a tlog-proof.
 *
 * @example
 * ```ts
 * import { formatTlogProof } from "../mod.ts";
 * formatTlogProof({ index: 0, proof: [], checkpoint: "o\n1\nAAAA\n\n— o AAAA\n" }); // "c2sp.org/tlog-proof@v1\nindex 0\n\no\n…"
 * ```
 */
export function formatTlogProof(proof: TlogProof): string {
  const extra = proof.extra === undefined ? "" : `extra ${toBase64(proof.extra)}\n`;
  const hashes = proof.proof.map((hash) => `${toBase64(hash)}\n`).join("");
  return `${TLOG_PROOF_HEADER}\n${extra}index ${proof.index}\n${hashes}\n${proof.checkpoint}`;
}

/**
 * Parses a tlog-proof strictly; throws `TLOG_PROOF_MALFORMED` with the line.
 *
 * @example
 * ```ts
 * import { parseTlogProof } from "../mod.ts";
 * parseTlogProof("c2sp.org/tlog-proof@v1\nindex 3\n\no\n1\nAAAA\n\n— o AAAA\n").index; // 3
 * ```
 */
export function parseTlogProof(text: string): TlogProof {
  const blank = text.indexOf("\n\n");
  if (blank < 0) throw malformed("no blank line before the checkpoint");
  const lines = text.slice(0, blank).split("\n");
  const checkpoint = text.slice(blank + 2);
  if (lines[0] !== TLOG_PROOF_HEADER) throw malformed(`first line must be ${TLOG_PROOF_HEADER}`, 1);
  let at = 1;
  let extra: Uint8Array | undefined;
  if (lines[at]?.startsWith("extra ")) {
    extra = fromBase64Strict(lines[at].slice(6));
    if (extra === undefined) throw malformed("extra is not canonical base64", at + 1);
    at++;
  }
  const indexMatch = /^index (0|[1-9][0-9]*)$/.exec(lines[at] ?? "");
  if (indexMatch === null || !Number.isSafeInteger(Number(indexMatch[1]))) {
    throw malformed("expected 'index N'", at + 1);
  }
  const proof = lines.slice(at + 1).map((line, i) => {
    const hash = fromBase64Strict(line);
    if (hash === undefined || hash.length !== DIGEST_BYTES) {
      throw malformed("proof line is not base64 of 32 bytes", at + 2 + i);
    }
    return hash;
  });
  return { extra, index: Number(indexMatch[1]), proof, checkpoint };
}

function malformed(message: string, line?: number): ReceiptError {
  return new ReceiptError(
    "TLOG_PROOF_MALFORMED",
    `tlog-proof ${message}`,
    line === undefined ? {} : { line },
  );
}
