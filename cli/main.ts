/**
 * `smem`: the SecuraMem command line. Runs with read/write of its ledger directory only
 * (`deno task smem …`); see docs/CLI.md.
 * @module
 */
import { parseArgs } from "node:util";
import type { Command, Flag } from "./command.ts";
import { errorCodeOf, errorMessageOf, EXIT, exitCodeOf, makeContext, UsageError } from "./context.ts";
import { append } from "./commands/append.ts";
import { checkpoint } from "./commands/checkpoint.ts";
import { erase } from "./commands/erase.ts";
import { exportCommand } from "./commands/export.ts";
import { ingest } from "./commands/ingest.ts";
import { init } from "./commands/init.ts";
import { keys } from "./commands/keys.ts";
import { log } from "./commands/log.ts";
import { prove } from "./commands/prove.ts";
import { proveOffline } from "./commands/prove_offline.ts";
import { receipt } from "./commands/receipt.ts";
import { show } from "./commands/show.ts";
import { status } from "./commands/status.ts";
import { verify } from "./commands/verify.ts";
import { verifyBundleCommand } from "./commands/verify_bundle.ts";
import { verifyReceiptCommand } from "./commands/verify_receipt.ts";

/** Every command, in help order. */
export const COMMANDS: readonly Command[] = [
  init,
  status,
  append,
  ingest,
  verify,
  log,
  show,
  checkpoint,
  prove,
  receipt,
  verifyReceiptCommand,
  exportCommand,
  verifyBundleCommand,
  keys,
  erase,
  proveOffline,
];

const ALIASES: Record<string, string> = { query: "log" };

const COMMON: Record<string, Flag> = {
  dir: { type: "string", short: "d", arg: "DIR", help: "ledger directory (default ./.securamem)" },
  json: { type: "boolean", help: "print results and errors as JSON" },
  help: { type: "boolean", short: "h", help: "show help" },
};

/** Runs `smem` with `argv`; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const json = argv.includes("--json");
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(overview());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === (ALIASES[name] ?? name));
  const ctx0 = makeContext(json, ".securamem");
  if (command === undefined) {
    return fail(
      new UsageError(`unknown command ${JSON.stringify(name)} (see smem --help)`),
      false,
      ctx0.json,
    );
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: Object.fromEntries(
        Object.entries({ ...COMMON, ...command.flags }).map(([key, flag]) => [key, parseArgsOption(flag)]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    return fail(new UsageError(`${errorMessageOf(error)} (see smem ${command.name} --help)`), false, json);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help === true) {
    console.log(commandHelp(command));
    return EXIT.ok;
  }
  const ctx = makeContext(values.json === true, typeof values.dir === "string" ? values.dir : ".securamem");
  try {
    return (await command.run(values, parsed.positionals, ctx)) ?? EXIT.ok;
  } catch (error) {
    return fail(error, command.verifying === true, ctx.json);
  }
}

function parseArgsOption(flag: Flag): { type: "string" | "boolean"; short?: string; multiple?: boolean } {
  return {
    type: flag.type,
    ...(flag.short === undefined ? {} : { short: flag.short }),
    ...(flag.multiple === undefined ? {} : { multiple: flag.multiple }),
  };
}

function fail(error: unknown, verifying: boolean, json: boolean): number {
  const code = errorCodeOf(error);
  const message = errorMessageOf(error);
  if (json) console.log(JSON.stringify({ error: { code, message } }));
  else console.error(`smem: ${code}: ${message}`);
  return exitCodeOf(error, verifying);
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "smem — SecuraMem, a tamper-evident black-box recorder for AI systems",
    "",
    "usage: smem <command> [options]      (smem <command> --help for its options)",
    "",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "common options:",
    ...flagLines(COMMON),
    "",
    "exit codes: 0 ok · 1 verification failed · 2 usage or input error · 3 I/O or permission error · 4 conflict",
  ].join("\n");
}

function commandHelp(command: Command): string {
  return [
    `usage: ${command.usage}`,
    "",
    command.summary,
    "",
    "options:",
    ...flagLines({ ...command.flags, ...COMMON }),
  ].join("\n");
}

function flagLines(flags: Record<string, Flag>): string[] {
  const rows = Object.entries(flags).map((
    [name, flag],
  ) => [`${flag.short ? `-${flag.short}, ` : "    "}--${name}${flag.arg ? ` ${flag.arg}` : ""}`, flag.help]);
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
