/**
 * What every command shares: output as text or `--json`, errors as one line with the SPEC §9
 * exit code, and a progress bar on a terminal.
 * @module
 */
import { type ErrorLocation, SecuraMemError } from "../core/errors.ts";
import { LedgerError, VerificationError } from "../ledger/errors.ts";
import { isDiskFull } from "../ledger/files.ts";
import { ServerError } from "../server/errors.ts";
import { type Progress, progressBar } from "./progress.ts";

/** Exit codes of SPEC §9. */
export const EXIT = { ok: 0, verification: 1, usage: 2, io: 3, conflict: 4 } as const;

/** A usage or input error detected by the CLI itself. */
export class UsageError extends SecuraMemError {
  constructor(message: string, where: ErrorLocation = {}) {
    super("USAGE", message, where);
  }

  override withLocation(where: ErrorLocation): this {
    return new UsageError(this.detail, where) as this;
  }
}

/** Output settings of one invocation. */
export interface Context {
  readonly json: boolean;
  readonly dir: string;
  /** Prints a result: the value as JSON under --json, else the text. */
  result(value: unknown, text: string): void;
  /** Prints an informational line on stderr (never under --json). */
  info(text: string): void;
  /** A progress reporter; draws only on a terminal and not under --json. */
  progress(label: string, total?: number): Progress;
}

const LEDGER_IO = new Set([
  "NOT_A_LEDGER",
  "READ_ONLY",
  "IO_ERROR",
  "DISK_FULL",
  "LOCKED",
  "DATABASE_CORRUPT",
  "NO_SIGNER_KEY",
]);

/** The exit code of an error; `verifying` marks commands whose failures mean "evidence rejected". */
export function exitCodeOf(error: unknown, verifying: boolean): number {
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return EXIT.io;
  }
  if (error instanceof Deno.errors.NotFound) return EXIT.io;
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof LedgerError) {
    if (error.code === "CONFLICT") return EXIT.conflict;
    return LEDGER_IO.has(error.code) ? EXIT.io : EXIT.usage;
  }
  if (error instanceof VerificationError) return EXIT.verification;
  // A server refusing its own options (a non-loopback address, a bad port) in any command.
  if (error instanceof ServerError) return EXIT.usage;
  if (error instanceof SecuraMemError) return verifying ? EXIT.verification : EXIT.usage;
  return EXIT.io;
}

/** The stable code of an error. */
export function errorCodeOf(error: unknown): string {
  if (error instanceof SecuraMemError) return error.code;
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return "PERMISSION_DENIED";
  }
  if (error instanceof Deno.errors.NotFound) return "NOT_FOUND";
  return isDiskFull(error) ? "DISK_FULL" : "IO_ERROR";
}

/** One line describing an error. */
export function errorMessageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split("\n")[0];
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    const kind = /Requires (\w+) access/.exec(first)?.[1] ?? "read";
    return `permission denied: ${first.replace(/, run again with .*$/, "")} (grant it with --allow-${kind})`;
  }
  return first;
}

/** Makes the context of one invocation. */
export function makeContext(json: boolean, dir: string): Context {
  const terminal = !json && Deno.stderr.isTerminal();
  // The bar drawn last: cleared before anything else prints, so a line never starts behind it.
  let bar: Progress | undefined;
  return {
    json,
    dir,
    result(value, text) {
      bar?.done();
      console.log(json ? JSON.stringify(value) : text);
    },
    info(text) {
      bar?.done();
      if (!json) console.error(text);
    },
    progress(label, total) {
      bar = progressBar(label, total, terminal);
      return bar;
    },
  };
}
