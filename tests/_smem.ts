/**
 * `smem` as users run it in tests: a subprocess of cli/main.ts with exactly the flags the
 * compiled binary carries (`deno task compile`), plus the read/write grants a test gives it.
 */
import assert from "node:assert/strict";
import type { ProcessPlace } from "./_small_disk.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;

/** The permission flags of `deno task smem` and `deno task compile`, before the directory grants. */
export const BINARY_FLAGS = [
  "--no-prompt",
  "--deny-net",
  "--deny-run",
  "--deny-ffi",
  "--deny-sys",
  "--allow-env=SMEM_PASSPHRASE",
];

/** What a run printed and how it ended. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** How to run it: standard input, the read/write grants, extra environment variables. */
export interface RunOptions {
  readonly stdin?: string;
  readonly allow: readonly string[];
  readonly env?: Record<string, string>;
  /** Where it runs (a namespace with a small disk, say); here by default. */
  readonly place?: ProcessPlace;
}

/** Runs `smem ARGS` to its end. */
export async function runSmem(args: readonly string[], options: RunOptions): Promise<Run> {
  const [program, ...prefix] = [...(options.place?.wrapper ?? []), Deno.execPath()];
  const child = new Deno.Command(program, {
    args: [...prefix, "run", "--quiet", ...BINARY_FLAGS, ...options.allow, MAIN, ...args],
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: options.env,
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** The command line of `smem ARGS` (for running it under another program, e.g. on a terminal). */
export function smemCommandLine(args: readonly string[], allow: readonly string[]): string[] {
  return [Deno.execPath(), "run", "--quiet", ...BINARY_FLAGS, ...allow, MAIN, ...args];
}

/**
 * Runs `argv` on a terminal (`script`, util-linux) that types `typed`, a line at a time; `output`
 * is what the terminal showed of both its standard output and its standard error.
 */
export async function onTerminal(argv: string[], typed: string): Promise<{ code: number; output: string }> {
  const quoted = argv.map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`).join(" ");
  const child = new Deno.Command("script", {
    args: ["--quiet", "--return", "--command", quoted, "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  for (const line of typed.split(/(?<=[\r\n])/)) {
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the program turn echo off first
    await writer.write(new TextEncoder().encode(line));
  }
  await writer.close();
  const out = await child.output();
  return { code: out.code, output: new TextDecoder().decode(out.stdout) };
}

/** Asserts the exit code, showing both outputs when it differs. */
export function expectExit(run: Run, code: number, what: string): void {
  assert.equal(run.code, code, `${what}: exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
}
