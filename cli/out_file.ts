/**
 * Files the CLI writes when asked (`--out`, `--receipt`). A write that fails part-way (a full
 * disk) removes what it wrote, so no truncated receipt, checkpoint or key is left to be taken for
 * a whole one; the error names the file.
 * @module
 */
import { ioError } from "../ledger/files.ts";

/** Writes `text` to `path`, replacing it; on a failed write the file is removed and a typed error thrown. */
export async function writeOutFile(path: string, text: string): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    const bytes = new TextEncoder().encode(text);
    for (let written = 0; written < bytes.length;) written += await file.write(bytes.subarray(written));
  } catch (error) {
    file.close();
    await Deno.remove(path).catch(() => {});
    throw ioError(error, path);
  }
  file.close();
}
