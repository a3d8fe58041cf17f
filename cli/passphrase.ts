/**
 * Where a command gets the passphrase of an encrypted signer key: `--passphrase-file FILE` (its
 * first line; grant `--allow-read=FILE`), else `SMEM_PASSPHRASE` (when the process may read that
 * one variable: `--allow-env=SMEM_PASSPHRASE`), else a prompt on the terminal with echo off. It
 * is asked for only when the key file is encrypted.
 * @module
 */
import { KeyError } from "../core/errors.ts";
import { ledgerPaths } from "../ledger/files.ts";
import type { KeyEncryption, Passphrase } from "../ledger/signer_key_file.ts";
import { DEFAULT_KEY_WORK_FACTOR } from "../core/encrypted_key.ts";
import { type Flag, stringFlag, type Values } from "./command.ts";
import type { Context } from "./context.ts";
import { HiddenLine } from "./hidden_line.ts";
import { parseWorkFactor } from "./work_factor.ts";

/** The environment variable a passphrase may come from. */
export const PASSPHRASE_ENV = "SMEM_PASSPHRASE";

/** The flag of every command that may need to sign. */
export const PASSPHRASE_FLAG: Readonly<Record<string, Flag>> = {
  "passphrase-file": {
    type: "string",
    arg: "FILE",
    help:
      `passphrase of an encrypted signer or witness key, first line of FILE (else $${PASSPHRASE_ENV}, else asked on a terminal)`,
  },
};

/** The flag that gives a new passphrase when an encrypted key's passphrase is changed. */
export const NEW_PASSPHRASE_FLAG: Readonly<Record<string, Flag>> = {
  "new-passphrase-file": {
    type: "string",
    arg: "FILE",
    help: "with keys encrypt on an encrypted key: the new passphrase, first line of FILE (else asked twice)",
  },
};

/** The passphrase of the key file `keyFile`, asked for only if it is found encrypted. */
export function passphraseOf(values: Values, keyFile: string): Passphrase {
  return () => givenPassphrase(values) ?? askOnTerminal(keyFile);
}

/** The passphrase of the ledger's `signer.key`, asked for only if it is found encrypted. */
export function signerPassphrase(values: Values, ctx: Context): Passphrase {
  return passphraseOf(values, ledgerPaths(ctx.dir).signerKey);
}

/** Where a new passphrase comes from before the terminal: a flag's file, and whether `SMEM_PASSPHRASE` too. */
export interface NewPassphraseSource {
  readonly flag: string;
  readonly useEnv: boolean;
}

/** A new passphrase for an encrypted key being changed: --new-passphrase-file, else the terminal. */
export const CHANGED_PASSPHRASE: NewPassphraseSource = { flag: "new-passphrase-file", useEnv: false };

/**
 * How to encrypt `keyFile`: a passphrase from `--passphrase-file` or `SMEM_PASSPHRASE` (or the
 * `source` given), else asked twice on the terminal (`PASSPHRASE_MISMATCH` when the two differ),
 * and `--work-factor` or the default.
 */
export async function newKeyEncryption(
  values: Values,
  keyFile: string,
  source: NewPassphraseSource = { flag: "passphrase-file", useEnv: true },
): Promise<Required<KeyEncryption>> {
  const workFactor = parseWorkFactor(values) ?? DEFAULT_KEY_WORK_FACTOR;
  const given = givenPassphrase(values, source);
  if (given !== undefined) return { passphrase: given, workFactor };
  const first = await askOnTerminal(keyFile, `new passphrase for ${keyFile}: `);
  const second = await askOnTerminal(keyFile, "the same passphrase again: ");
  if (first !== second) throw new KeyError("PASSPHRASE_MISMATCH", "the two passphrases differ");
  return { passphrase: first, workFactor };
}

function givenPassphrase(
  values: Values,
  { flag, useEnv }: NewPassphraseSource = { flag: "passphrase-file", useEnv: true },
): string | undefined {
  const file = stringFlag(values, flag);
  if (file !== undefined) return readPassphraseFile(file);
  return useEnv ? environmentPassphrase() : undefined;
}

function readPassphraseFile(file: string): string {
  const line = Deno.readTextFileSync(file).split(/\r?\n/)[0];
  if (line.length === 0) throw new KeyError("BAD_PASSPHRASE", `${file}: the first line is empty`);
  return line;
}

function environmentPassphrase(): string | undefined {
  const { state } = Deno.permissions.querySync({ name: "env", variable: PASSPHRASE_ENV });
  if (state !== "granted") return undefined;
  const value = Deno.env.get(PASSPHRASE_ENV);
  return value === undefined || value.length === 0 ? undefined : value;
}

/**
 * Reads the passphrase of `keyFile` from the terminal without echoing it; `PASSPHRASE_REQUIRED`
 * when stdin is no terminal.
 */
async function askOnTerminal(keyFile: string, question = `passphrase for ${keyFile}: `): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    throw new KeyError(
      "PASSPHRASE_REQUIRED",
      `${keyFile} is encrypted: give its passphrase with --passphrase-file FILE or $${PASSPHRASE_ENV} ` +
        `(run with --allow-env=${PASSPHRASE_ENV}), or run on a terminal`,
    );
  }
  const encoder = new TextEncoder();
  Deno.stderr.writeSync(encoder.encode(question));
  Deno.stdin.setRaw(true);
  try {
    const line = new HiddenLine();
    const buffer = new Uint8Array(256);
    for (;;) {
      const read = await Deno.stdin.read(buffer);
      const state = read === null ? "cancelled" : line.feed(buffer.subarray(0, read));
      if (state === "done") return line.text();
      if (state === "cancelled") throw new KeyError("PASSPHRASE_REQUIRED", "no passphrase given (cancelled)");
    }
  } finally {
    Deno.stdin.setRaw(false);
    Deno.stderr.writeSync(encoder.encode("\n"));
  }
}
