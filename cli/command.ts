/**
 * The shape of a CLI command: its flags (for `node:util` parseArgs), help text and action.
 * @module
 */
import type { Context } from "./context.ts";

/** A flag as parseArgs takes it, plus its help text. */
export interface Flag {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
  readonly help: string;
  /** Placeholder shown in help, e.g. FILE. */
  readonly arg?: string;
}

/** Parsed flag values. */
export type Values = Record<string, string | boolean | string[] | undefined>;

/** One `smem` subcommand. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** e.g. `smem prove IDX [--size N]`. */
  readonly usage: string;
  readonly flags: Readonly<Record<string, Flag>>;
  /** Most arguments the command takes besides its flags (an action, an index, a file). */
  readonly operands: number;
  /** Failures of this command mean "evidence rejected" (exit 1), not "bad input" (exit 2). */
  readonly verifying?: boolean;
  /** Runs the command; returns the exit code (0 when omitted). */
  run(values: Values, args: string[], ctx: Context): Promise<number | void>;
}

/** Reads a string flag. */
export function stringFlag(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}
