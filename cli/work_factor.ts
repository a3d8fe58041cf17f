/**
 * The `--work-factor` flag: how hard an encrypted signer key is to guess (scrypt, log2 N).
 * @module
 */
import { DEFAULT_KEY_WORK_FACTOR, MAX_KEY_WORK_FACTOR, MIN_KEY_WORK_FACTOR } from "../core/encrypted_key.ts";
import { type Flag, stringFlag, type Values } from "./command.ts";
import { UsageError } from "./context.ts";

/** The flag of the commands that encrypt a key. */
export const WORK_FACTOR_FLAG: Readonly<Record<string, Flag>> = {
  "work-factor": {
    type: "string",
    arg: "N",
    help:
      `scrypt work factor of the key's encryption, log2 N, ${MIN_KEY_WORK_FACTOR}–${MAX_KEY_WORK_FACTOR} ` +
      `(default ${DEFAULT_KEY_WORK_FACTOR}, age's own: ~1.2 s and 256 MiB to open here; each step doubles both)`,
  },
};

/** The `--work-factor` given, if any; a UsageError outside the accepted range. */
export function parseWorkFactor(values: Values): number | undefined {
  const text = stringFlag(values, "work-factor");
  if (text === undefined) return undefined;
  const value = /^[0-9]{1,2}$/.test(text) ? Number(text) : NaN;
  if (!(value >= MIN_KEY_WORK_FACTOR && value <= MAX_KEY_WORK_FACTOR)) {
    throw new UsageError(
      `--work-factor must be an integer ${MIN_KEY_WORK_FACTOR}–${MAX_KEY_WORK_FACTOR}, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return value;
}
