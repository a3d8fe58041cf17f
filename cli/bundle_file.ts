/**
 * Verifies a bundle file offline: nothing but the file and trusted verifier keys.
 * @module
 */
import { type BundleReport, BundleVerifier } from "../core/bundle.ts";
import type { NoteVerifier } from "../core/keys.ts";
import { loadHasher } from "../wasm/hasher.ts";
import { readLines } from "./lines.ts";
import { readAhead } from "./read_ahead.ts";

/** Lines between two progress reports. */
const PROGRESS_EVERY = 1024;

/** Verifies the bundle at `path`; throws the first failure, located by line. */
export async function verifyBundleFile(
  path: string,
  trusted: readonly NoteVerifier[],
  onProgress?: (lines: number) => void,
): Promise<BundleReport> {
  const file = await Deno.open(path, { read: true });
  const verifier = new BundleVerifier(trusted, loadHasher);
  let lines = 0;
  for await (const line of readLines(readAhead(file))) {
    await verifier.line(line.text, line.terminated);
    lines = line.number;
    if (lines % PROGRESS_EVERY === 0) onProgress?.(lines);
  }
  onProgress?.(lines);
  return verifier.finish();
}
