/**
 * `smem serve` as a subprocess with exactly `deno task serve`'s permissions: network to one
 * loopback port, read/write of one directory, everything else denied. Shared by the process tests
 * and the load bench, so both run the server the way users do.
 */

import type { ProcessPlace } from "./_small_disk.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const DENY = [
  "--no-prompt",
  "--unstable-no-legacy-abort",
  "--deny-run",
  "--deny-ffi",
  "--deny-sys",
  "--allow-env=SMEM_PASSPHRASE",
];

/** A running `smem serve --json`. */
export interface Served {
  readonly child: Deno.ChildProcess;
  /** stdout after the "listening" line, once the process ends. */
  readonly output: Promise<string>;
  /** All of stderr, once the process ends (drained as it comes, so the server never blocks on it). */
  readonly stderr: Promise<string>;
  readonly url: string;
  readonly token: string;
}

/** A loopback port free right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** `smem ARGS` (a server command: `serve`, `witness serve`) with a server's permissions: read/write of `root`, network `net`. */
export function serverCommand(
  root: string,
  args: string[],
  net: string[],
  env?: Record<string, string>,
  place?: ProcessPlace,
): Deno.Command {
  const [program, ...prefix] = [...(place?.wrapper ?? []), Deno.execPath()];
  return new Deno.Command(program, {
    args: [
      ...prefix,
      "run",
      "--quiet",
      ...DENY,
      ...net,
      `--allow-read=${root}`,
      `--allow-write=${root}`,
      MAIN,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env,
  });
}

/**
 * Starts `smem serve --json` on a free port for the ledger in `dir` (inside `root`), here or in
 * `place`; waits until it listens.
 */
export async function serve(
  root: string,
  dir: string,
  extra: string[] = [],
  env?: Record<string, string>,
  place?: ProcessPlace,
): Promise<Served> {
  const port = freePort();
  const { child, output, stderr, started } = await startServerProcess(
    serverCommand(
      root,
      ["serve", "--dir", dir, "--port", String(port), "--json", ...extra],
      [
        `--allow-net=127.0.0.1:${port}`,
      ],
      env,
      place,
    ),
  );
  const url = `http://127.0.0.1:${port}`;
  if (started.listening !== url) throw new Error(`serve listens on ${started.listening}`);
  const tokenFile = String(started.token_file);
  return {
    child,
    output,
    stderr,
    url,
    token: (await Deno.readTextFile(place?.hostPath(tokenFile) ?? tokenFile)).trim(),
  };
}

/** A server subprocess that printed its start line. */
export interface StartedProcess {
  readonly child: Deno.ChildProcess;
  /** The start line, parsed (the server runs with `--json`). */
  readonly started: Record<string, unknown>;
  /** stdout after the start line, once the process ends. */
  readonly output: Promise<string>;
  /** All of stderr, once the process ends (drained as it comes). */
  readonly stderr: Promise<string>;
}

/** Spawns `command` (a server run with `--json`) and waits for its first stdout line. */
export async function startServerProcess(command: Deno.Command): Promise<StartedProcess> {
  const child = command.spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server exited before listening: ${await stderr}`);
    text += value;
  }
  const output = (async () => {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += chunk.value;
    return text.slice(text.indexOf("\n") + 1);
  })();
  return { child, started: JSON.parse(text.split("\n")[0]), output, stderr };
}
