/**
 * Text the CLI reads from a file argument, where `-` means standard input (`smem checkpoint
 * --since N | smem verify-checkpoint -`). The bytes are decoded by `strictUtf8`: what is checked
 * is the file's bytes, never a repaired copy.
 * @module
 */
import { strictUtf8 } from "../core/encoding.ts";
import { CanonicalError } from "../core/errors.ts";

/** The text of `path`, or of standard input when `path` is `-`; `BAD_UTF8` when it is not UTF-8. */
export async function readInFile(path: string): Promise<string> {
  const bytes = path === "-"
    ? new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer())
    : await Deno.readFile(path);
  const text = strictUtf8(bytes);
  if (text === undefined) {
    throw new CanonicalError("BAD_UTF8", `${path === "-" ? "standard input" : path} is not UTF-8 text`);
  }
  return text;
}
