/**
 * Files the CLI writes when asked (`--out`, `--receipt`). A write that fails part-way (a full
 * disk) removes what it wrote, so no truncated receipt, checkpoint or key is left to be taken for
 * a whole one; the error names the file. The file is written in place, not through a `.partial`
 * file renamed over it (`replaceFile`), so a grant of the file alone (`--allow-write=FILE`) is enough.
 * @module
 */
import { ioError, writeAll } from "../ledger/files.ts";

/** Writes `text` to `path`, replacing it; on a failed write the file is removed and a typed error thrown. */
export async function writeOutFile(path: string, text: string): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    await writeAll(file, new TextEncoder().encode(text));
  } catch (error) {
    file.close();
    await Deno.remove(path).catch(() => {});
    throw ioError(error, path);
  }
  file.close();
}
