/**
 * The ledger directory (SPEC §8): `ledger.db` (SQLite, WAL), `signer.key` (owner-only, 0600) and,
 * once `smem serve` has run, `api.token` (owner-only, 0600).
 * @module
 */
import { LedgerError } from "./errors.ts";

/** File names inside a ledger directory. */
export const DB_FILE = "ledger.db";
/** The signer key file. */
export const SIGNER_KEY_FILE = "signer.key";

/** The HTTP API's bearer token file. */
export const API_TOKEN_FILE = "api.token";

/** Paths of one ledger directory. */
export interface LedgerPaths {
  readonly dir: string;
  readonly db: string;
  readonly signerKey: string;
  readonly apiToken: string;
}

/** The paths of a ledger directory. */
export function ledgerPaths(dir: string): LedgerPaths {
  const base = dir.replace(/\/+$/, "") || "/";
  return {
    dir: base,
    db: `${base}/${DB_FILE}`,
    signerKey: `${base}/${SIGNER_KEY_FILE}`,
    apiToken: `${base}/${API_TOKEN_FILE}`,
  };
}

/** True when `path` exists. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw ioError(error, path);
  }
}

/**
 * Writes a secret (a signer key, an API token), readable by the owner only, refusing to overwrite;
 * synced before it returns. Text gets a final newline; bytes are written as they are.
 */
export function writeSecretFile(path: string, content: string | Uint8Array): void {
  const bytes = typeof content === "string" ? new TextEncoder().encode(`${content}\n`) : content;
  try {
    const file = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
    try {
      Deno.chmodSync(path, 0o600);
      writeAllSync(file, bytes);
      file.syncSync();
    } finally {
      file.close();
    }
  } catch (error) {
    throw ioError(error, path);
  }
}

/**
 * Writes `text` to `path` whole or not at all: `<path>.partial` is written and synced, then
 * renamed over `path`, so a crash leaves the old file or the new one, never a mix. With `mode`
 * (e.g. 0600 for a key) the file has that mode before it takes the name.
 */
export function replaceFile(path: string, text: string, mode?: number): void {
  const partial = `${path}.partial`;
  try {
    const file = Deno.openSync(partial, { write: true, create: true, truncate: true, mode });
    try {
      if (mode !== undefined) Deno.chmodSync(partial, mode);
      writeAllSync(file, new TextEncoder().encode(text));
      file.syncSync();
    } finally {
      file.close();
    }
    Deno.renameSync(partial, path);
  } catch (error) {
    throw ioError(error, path);
  }
}

function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length;) written += file.writeSync(bytes.subarray(written));
}

/** Reads a secret file's bytes, or `undefined` when the file is absent. */
export function readSecretBytes(path: string): Uint8Array | undefined {
  try {
    return Deno.readFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw ioError(error, path);
  }
}

/** Reads a secret file's text, trimmed, or `undefined` when the file is absent. */
export function readSecretFile(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw ioError(error, path);
  }
}

/** Creates a directory (and parents) if needed. */
export function ensureDir(path: string): void {
  try {
    Deno.mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw ioError(error, path);
  }
}

/** Maps a file-system error to a LedgerError (`READ_ONLY` for permissions, else `IO_ERROR`). */
export function ioError(error: unknown, path: string): LedgerError {
  if (error instanceof LedgerError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const denied = error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable ||
    /readonly|read-only|permission/i.test(message);
  return new LedgerError(denied ? "READ_ONLY" : "IO_ERROR", `${path}: ${message.split("\n")[0]}`);
}
