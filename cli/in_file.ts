/**
 * Text the CLI reads from a file argument, where `-` means standard input (`smem checkpoint
 * --since N | smem verify-checkpoint -`).
 * @module
 */

/** The text of `path`, or of standard input when `path` is `-`. */
export async function readInFile(path: string): Promise<string> {
  return path === "-" ? await new Response(Deno.stdin.readable).text() : await Deno.readTextFile(path);
}
