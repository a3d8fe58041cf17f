/**
 * `smem`: the SecuraMem command line. Runs with read/write of its ledger directory only
 * (`deno task smem …`); see docs/CLI.md.
 * @module
 */
import { parseArgs } from "node:util";
import type { Command, Flag } from "./command.ts";
import { SecuraMemError } from "../core/errors.ts";
import { errorCodeOf, errorMessageOf, EXIT, exitCodeOf, makeContext, UsageError } from "./context.ts";

/**
 * Every command, in help order, loaded only when needed: a command's start-up should not pay
 * for the modules of the others.
 */
export const COMMANDS: readonly { readonly name: string; readonly load: () => Promise<Command> }[] = [
  { name: "init", load: async () => (await import("./commands/init.ts")).init },
  { name: "status", load: async () => (await import("./commands/status.ts")).status },
  { name: "append", load: async () => (await import("./commands/append.ts")).append },
  { name: "ingest", load: async () => (await import("./commands/ingest.ts")).ingest },
  { name: "verify", load: async () => (await import("./commands/verify.ts")).verify },
  { name: "log", load: async () => (await import("./commands/log.ts")).log },
  { name: "show", load: async () => (await import("./commands/show.ts")).show },
  { name: "checkpoint", load: async () => (await import("./commands/checkpoint.ts")).checkpoint },
  { name: "prove", load: async () => (await import("./commands/prove.ts")).prove },
  { name: "receipt", load: async () => (await import("./commands/receipt.ts")).receipt },
  {
    name: "verify-receipt",
    load: async () => (await import("./commands/verify_receipt.ts")).verifyReceiptCommand,
  },
  {
    name: "verify-checkpoint",
    load: async () => (await import("./commands/verify_checkpoint.ts")).verifyCheckpointCommand,
  },
  { name: "export", load: async () => (await import("./commands/export.ts")).exportCommand },
  { name: "backup", load: async () => (await import("./commands/backup.ts")).backup },
  {
    name: "verify-bundle",
    load: async () => (await import("./commands/verify_bundle.ts")).verifyBundleCommand,
  },
  { name: "keys", load: async () => (await import("./commands/keys.ts")).keys },
  { name: "erase", load: async () => (await import("./commands/erase.ts")).erase },
  { name: "prove-offline", load: async () => (await import("./commands/prove_offline.ts")).proveOffline },
  { name: "serve", load: async () => (await import("./commands/serve.ts")).serve },
  { name: "witness", load: async () => (await import("./commands/witness.ts")).witness },
  { name: "cosignature", load: async () => (await import("./commands/cosignature.ts")).cosignature },
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
    console.log(overview(await Promise.all(COMMANDS.map((c) => c.load()))));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = await COMMANDS.find((c) => c.name === (ALIASES[name] ?? name))?.load();
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
  const extra = parsed.positionals[command.operands];
  if (extra !== undefined) {
    const message = `unexpected argument ${JSON.stringify(extra)} (see smem ${command.name} --help)`;
    return fail(new UsageError(message), false, values.json === true);
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
  const where = error instanceof SecuraMemError && Object.keys(error.where).length > 0
    ? { where: error.where }
    : {};
  if (json) console.log(JSON.stringify({ error: { code, message, ...where } }));
  else console.error(`smem: ${code}: ${message}`);
  return exitCodeOf(error, verifying);
}

function overview(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "smem — SecuraMem, a tamper-evident black-box recorder for AI systems",
    "",
    "usage: smem <command> [options]      (smem <command> --help for its options)",
    "",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
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
