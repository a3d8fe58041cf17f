/**
 * Text the CLI reads from a file argument, where `-` means standard input (`smem checkpoint
 * --since N | smem verify-checkpoint -`). The bytes are decoded strictly and a byte-order mark is
 * kept, as the strict readers expect: what is checked is the file's bytes, never a repaired copy
 * (a lenient decoder drops a leading mark and turns invalid bytes into U+FFFD).
 * @module
 */
import { CanonicalError } from "../core/errors.ts";

/** The text of `path`, or of standard input when `path` is `-`; `BAD_UTF8` when it is not UTF-8. */
export async function readInFile(path: string): Promise<string> {
  const bytes = path === "-"
    ? new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer())
    : await Deno.readFile(path);
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    throw new CanonicalError("BAD_UTF8", `${path === "-" ? "standard input" : path} is not UTF-8 text`);
  }
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
