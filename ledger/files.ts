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
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
  } catch (error) {
    throw ioError(error, path);
  }
  try {
    Deno.chmodSync(path, 0o600);
    writeWholeSync(file, bytes);
  } catch (error) {
    removeQuietly(path);
    throw ioError(error, path);
  }
}

/**
 * Writes `text` to `path` whole or not at all: `<path>.partial` is written and synced, then
 * renamed over `path`, so a crash leaves the old file or the new one, never a mix. With `mode`
 * (e.g. 0600 for a key) the file has that mode before it takes the name. A failed write (a full
 * disk) removes the partial file.
 */
export function replaceFile(path: string, text: string, mode?: number): void {
  const partial = `${path}.partial`;
  try {
    const file = Deno.openSync(partial, { write: true, create: true, truncate: true, mode });
    if (mode !== undefined) Deno.chmodSync(partial, mode);
    writeWholeSync(file, new TextEncoder().encode(text));
    Deno.renameSync(partial, path);
  } catch (error) {
    removeQuietly(partial);
    throw ioError(error, path);
  }
}

/** True when `error` says there is no room left: ENOSPC or EDQUOT from the OS, SQLITE_FULL from SQLite. */
export function isDiskFull(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  if (code === "ENOSPC" || code === "EDQUOT") return true;
  // node:sqlite gives statements' errors SQLite's result code, and `exec`'s (a COMMIT) only its text.
  return code === "ERR_SQLITE_ERROR" &&
    ((typeof errcode === "number" && (errcode & 0xff) === SQLITE_FULL) || error.message === SQLITE_FULL_TEXT);
}

/** What a disk probe found: room and a working sync, no room, or a write or sync that failed. */
export type DiskProbe = "ok" | "full" | "failing";

/**
 * Whether the disk holding `dir` takes `bytes` more and syncs them: writes, syncs and removes a
 * scratch file of that size there. Other failures (permissions, say) are thrown.
 */
export async function probeDisk(dir: string, bytes: number): Promise<DiskProbe> {
  const path = `${dir}/${DISK_PROBE_FILE}`;
  try {
    const file = await Deno.open(path, { write: true, create: true, truncate: true, mode: 0o600 });
    try {
      await writeAll(file, new Uint8Array(bytes));
      await file.sync();
    } finally {
      file.close();
    }
    return "ok";
  } catch (error) {
    if (isDiskFull(error)) return "full";
    const mapped = ioError(error, path);
    if (mapped.code === "IO_ERROR") return "failing";
    throw mapped;
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}

/** The scratch file of `probeDisk`, removed before it returns. */
const DISK_PROBE_FILE = "room.probe";

/** SQLite's primary result code for a write that found the disk full, and its fixed text. */
const SQLITE_FULL = 13;
const SQLITE_FULL_TEXT = "database or disk is full";

/** Writes all of `bytes` to `file` (a write may take fewer than it is given). */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) written += await file.write(bytes.subarray(written));
}

/** Writes all of `bytes`, syncs and closes `file` (closed on failure too). */
function writeWholeSync(file: Deno.FsFile, bytes: Uint8Array): void {
  try {
    for (let written = 0; written < bytes.length;) written += file.writeSync(bytes.subarray(written));
    file.syncSync();
  } finally {
    file.close();
  }
}

/** Removes a file this process made when what it was for failed; a failure to remove it changes nothing. */
export function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // The write's own error is the one to report.
  }
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

/**
 * Maps a file-system or SQLite error to a LedgerError: `DISK_FULL` when the disk (or the owner's
 * quota) has no room, `READ_ONLY` for permissions, else `IO_ERROR`.
 */
export function ioError(error: unknown, path: string): LedgerError {
  if (error instanceof LedgerError) return error;
  if (isDiskFull(error)) {
    return new LedgerError(
      "DISK_FULL",
      `${path}: the disk is full; nothing of this write was kept (free space, then retry)`,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/disk I\/O error/i.test(message)) {
    return new LedgerError(
      "IO_ERROR",
      `${path}: disk I/O error (the disk failed a write or a sync); this write was not acknowledged ` +
        "(check the disk, then retry)",
    );
  }
  const denied = error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable ||
    /readonly|read-only|permission/i.test(message);
  return new LedgerError(denied ? "READ_ONLY" : "IO_ERROR", `${path}: ${message.split("\n")[0]}`);
}
