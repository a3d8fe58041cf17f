/**
 * Where a command gets the passphrase of an encrypted signer key: `--passphrase-file FILE` (its
 * first line; grant `--allow-read=FILE`), else `SMEM_PASSPHRASE` (when the process may read that
 * one variable: `--allow-env=SMEM_PASSPHRASE`), else a prompt on the terminal with echo off. It
 * is asked for only when the key file is encrypted.
 * @module
 */
import { KeyError } from "../core/errors.ts";
import { ledgerPaths } from "../ledger/files.ts";
import type { Passphrase } from "../ledger/signer_key_file.ts";
import { type Flag, stringFlag, type Values } from "./command.ts";
import type { Context } from "./context.ts";
import { HiddenLine } from "./hidden_line.ts";

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
  return () => givenPassphrase(stringFlag(values, "passphrase-file")) ?? askOnTerminal(keyFile);
}

/** The passphrase of the ledger's `signer.key`, asked for only if it is found encrypted. */
export function signerPassphrase(values: Values, ctx: Context): Passphrase {
  return passphraseOf(values, ledgerPaths(ctx.dir).signerKey);
}

/**
 * A passphrase to encrypt a key with: from `flag`'s file or `SMEM_PASSPHRASE`, else asked twice
 * on the terminal (`PASSPHRASE_MISMATCH` when the two differ).
 */
export async function newPassphraseOf(
  values: Values,
  flag = "passphrase-file",
  useEnv = true,
): Promise<string> {
  const file = stringFlag(values, flag);
  const given = file !== undefined ? readPassphraseFile(file) : useEnv ? environmentPassphrase() : undefined;
  if (given !== undefined) return given;
  const first = await askOnTerminal("signer.key", "new passphrase for signer.key: ");
  const second = await askOnTerminal("signer.key", "the same passphrase again: ");
  if (first !== second) throw new KeyError("PASSPHRASE_MISMATCH", "the two passphrases differ");
  return first;
}

function givenPassphrase(file: string | undefined): string | undefined {
  return file !== undefined ? readPassphraseFile(file) : environmentPassphrase();
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
