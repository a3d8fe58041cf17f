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

/** Writes a secret (a signer key, an API token), readable by the owner only, refusing to overwrite. */
export function writeSecretFile(path: string, text: string): void {
  try {
    Deno.writeTextFileSync(path, `${text}\n`, { mode: 0o600, createNew: true });
    Deno.chmodSync(path, 0o600);
  } catch (error) {
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
