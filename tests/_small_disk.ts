/**
 * A small disk for tests of what happens when it fills: a tmpfs of a few MiB mounted in a mount
 * namespace of its own (`unshare`, util-linux), so nothing outside the test sees it and it goes
 * away with its last process. Commands run inside the namespace through `nsenter`; the test
 * reaches the disk's files through `/proc/PID/root`.
 */

/** Where a subprocess runs: under `wrapper` (a command that enters the namespace), seeing `dir`. */
export interface ProcessPlace {
  readonly wrapper: readonly string[];
  /** The path, as this process sees it, of a path inside the place. */
  hostPath(path: string): string;
}

/** A tmpfs of a given size at `dir`, visible to the commands run through `wrapper`. */
export class SmallDisk implements ProcessPlace, AsyncDisposable {
  private constructor(
    readonly dir: string,
    private readonly holder: Deno.ChildProcess,
  ) {}

  /** Mounts a tmpfs of `kib` KiB at `dir` (made if absent) in a new user and mount namespace. */
  static async mount(dir: string, kib: number): Promise<SmallDisk> {
    await Deno.mkdir(dir, { recursive: true });
    const holder = new Deno.Command("unshare", {
      args: [
        "--user",
        "--map-root-user",
        "--mount",
        "sh",
        "-c",
        `mount -t tmpfs -o size=${kib}k smem-small-disk "$0" && echo mounted && exec sleep 86400`,
        dir,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(holder.stderr).text();
    const first = await holder.stdout.pipeThrough(new TextDecoderStream()).getReader().read();
    if (first.value?.trim() !== "mounted") {
      throw new Error(
        `could not mount a small disk at ${dir} (root or user namespaces needed): ${await stderr}`,
      );
    }
    return new SmallDisk(dir, holder);
  }

  /** The command prefix that runs a program inside the namespace, in this process's directory. */
  get wrapper(): string[] {
    return [
      "nsenter",
      `--target=${this.holder.pid}`,
      "--user",
      "--mount",
      "--preserve-credentials",
      `--wd=${Deno.cwd()}`,
      "--",
    ];
  }

  hostPath(path: string): string {
    return `/proc/${this.holder.pid}/root${path}`;
  }

  /** Writes a file of zeros of `bytes` on the disk, or until it is full when `bytes` is omitted. */
  async fill(name: string, bytes = Number.POSITIVE_INFINITY): Promise<void> {
    const file = await Deno.open(this.hostPath(`${this.dir}/${name}`), { write: true, createNew: true });
    const block = new Uint8Array(64 * 1024);
    try {
      for (let written = 0; written < bytes;) {
        written += await file.write(block.subarray(0, Math.min(block.length, bytes - written)));
      }
    } catch (error) {
      if ((error as { code?: string }).code !== "ENOSPC" || bytes !== Number.POSITIVE_INFINITY) throw error;
    } finally {
      file.close();
    }
  }

  /** Removes a file of the disk. */
  async remove(name: string): Promise<void> {
    await Deno.remove(this.hostPath(`${this.dir}/${name}`));
  }

  /** Whether a file exists on the disk. */
  async has(name: string): Promise<boolean> {
    return await Deno.stat(this.hostPath(`${this.dir}/${name}`)).then(() => true, () => false);
  }

  /** Unmounts the disk (its namespace ends with its holder). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.holder.kill("SIGKILL");
    await this.holder.status;
  }
}
