/**
 * The writer child of tests/_writer.ts as a subprocess with exactly a deployed writer's
 * permissions (read and write of the ledger directory); it prints `ack …` after each durable batch.
 */
const WRITER = new URL("./_writer.ts", import.meta.url).pathname;

/** Starts a writer appending `count` records in batches of `batch` as writer `id` on `stream`. */
export function spawnWriter(
  dir: string,
  count: number,
  batch: number,
  id: string,
  stream: string,
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      WRITER,
      dir,
      String(count),
      String(batch),
      id,
      stream,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}
