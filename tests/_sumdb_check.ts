/**
 * The independent checker of tests/interop/sumdb_check (Go, on golang.org/x/mod/sumdb and
 * lukechampine.com/blake3 as Debian packages them): built once per test process, run as a
 * subprocess on files.
 */
import assert from "node:assert/strict";

const SOURCE = new URL("./interop/sumdb_check", import.meta.url).pathname;
const GOPATH = "/usr/share/gocode";
let built: Promise<string> | undefined;

/** What one run of the checker printed, and its exit code. */
interface CheckRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Builds the checker (GOPATH mode, Debian's x/mod, x/text and blake3) into a temporary directory, removed at exit; its path. */
function checkerBinary(): Promise<string> {
  return built ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "smem-sumdb-check-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    const out = `${dir}/sumdb_check`;
    const build = await new Deno.Command("go", {
      args: ["build", "-o", out, "."],
      cwd: SOURCE,
      env: { GO111MODULE: "off", GOPATH, GOFLAGS: "" },
      stdout: "piped",
      stderr: "piped",
    }).output().catch((error) => {
      throw new Error(
        `go is needed (Debian: golang-go golang-golang-x-mod-dev golang-golang-x-text-dev golang-lukechampine-blake3-dev): ${error}`,
      );
    });
    assert.equal(build.code, 0, `building the Go checker failed: ${new TextDecoder().decode(build.stderr)}`);
    return out;
  })();
}

/** Runs `sumdb_check ARGS` (see its source for the commands). */
export async function sumdbCheck(...args: string[]): Promise<CheckRun> {
  const out = await new Deno.Command(await checkerBinary(), { args, stdout: "piped", stderr: "piped" })
    .output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Runs the checker and asserts it passed; its stdout. */
export async function sumdbPasses(...args: string[]): Promise<string> {
  const run = await sumdbCheck(...args);
  assert.equal(run.code, 0, `sumdb_check ${args[0]} failed: ${run.stderr}`);
  return run.stdout;
}

/** Runs the checker and asserts it failed a check (exit 1) with a message matching `pattern`. */
export async function sumdbRejects(pattern: RegExp, ...args: string[]): Promise<void> {
  const run = await sumdbCheck(...args);
  assert.equal(run.code, 1, `sumdb_check ${args[0]} should fail: ${run.stdout}${run.stderr}`);
  assert.match(run.stderr, pattern);
}
