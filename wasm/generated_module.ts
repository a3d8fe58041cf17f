/**
 * The main of a generator script: writes a generated module, or with `--check` only reports whether
 * the file on disk is current (exit 1 when stale). Used by the `build:*` tasks and their tests.
 * @module
 */

/** Writes `built` to `path` (relative to the repository root), or checks it when `--check` was given. */
export async function writeOrCheckGenerated(path: string, built: string, task: string): Promise<void> {
  const file = new URL(`../${path}`, import.meta.url);
  if (Deno.args.includes("--check")) {
    const current = await Deno.readTextFile(file).catch(() => "");
    if (current !== built) {
      console.error(`${path} is stale: run deno task ${task}`);
      Deno.exit(1);
    }
    console.log(`${path} is current`);
  } else {
    await Deno.writeTextFile(file, built);
    console.log(`wrote ${path} (${built.length} bytes)`);
  }
}
