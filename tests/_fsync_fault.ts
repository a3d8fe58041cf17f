/**
 * A failing disk for tests: `tests/fault/fail_fsync.c`, built here with the machine's C compiler and
 * loaded with LD_PRELOAD into a subprocess, makes fsync and fdatasync fail with EIO on the files a
 * test names, for as long as the test wants, while the process runs.
 */
const SOURCE = new URL("./fault/fail_fsync.c", import.meta.url).pathname;

/** The fault's library and its control file; turn it on with `failOn`, off with `clear`. */
export class FsyncFault implements AsyncDisposable {
  private constructor(private readonly dir: string) {}

  /** Builds the library into a new temporary directory; throws with the compiler's output on failure. */
  static async build(): Promise<FsyncFault> {
    const dir = await Deno.makeTempDir({ prefix: "smem-fault-" });
    const compiled = await new Deno.Command("cc", {
      args: [
        "-shared",
        "-fPIC",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-o",
        `${dir}/fail_fsync.so`,
        SOURCE,
        "-ldl",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!compiled.success) {
      await Deno.remove(dir, { recursive: true });
      throw new Error(`cc could not build ${SOURCE}: ${new TextDecoder().decode(compiled.stderr)}`);
    }
    await Deno.writeTextFile(`${dir}/control`, "");
    return new FsyncFault(dir);
  }

  /** The environment that loads the fault into a subprocess. */
  get env(): Record<string, string> {
    return { LD_PRELOAD: `${this.dir}/fail_fsync.so`, SMEM_FAULT_FILE: `${this.dir}/control` };
  }

  /** From now on, syncs of the files whose path contains `needle` fail with EIO. */
  async failOn(needle: string): Promise<void> {
    await Deno.writeTextFile(`${this.dir}/control`, needle);
  }

  /** From now on, every sync succeeds. */
  async clear(): Promise<void> {
    await Deno.writeTextFile(`${this.dir}/control`, "");
  }

  /** The paths of the syncs that failed so far, one per failed call. */
  async failures(): Promise<string[]> {
    try {
      return (await Deno.readTextFile(`${this.dir}/control.log`)).split("\n").filter((line) => line !== "");
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Deno.remove(this.dir, { recursive: true });
  }
}
