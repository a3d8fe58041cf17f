/**
 * A ledger's status read without opening it for writing or loading the hashing engine, so that
 * `smem status` starts fast.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { type Checkpoint, checkpointOfNote } from "../core/checkpoint.ts";
import { parseSignerKey } from "../core/keys.ts";
import { isEncryptedKey } from "../core/encrypted_key.ts";
import { SecuraMemError } from "../core/errors.ts";
import { LedgerError } from "./errors.ts";
import { checkLedgerFile } from "./ledger_file.ts";
import { sqliteError } from "./sqlite_errors.ts";
import { exists, ledgerPaths, readSecretBytes } from "./files.ts";
import { LOG_SIZE_SQL } from "./recent.ts";

/** What `smem status` shows. */
export interface LedgerStatus {
  readonly origin: string;
  readonly alg: string;
  readonly size: number;
  readonly checkpoint: Checkpoint;
  /**
   * The signer key's public half (the log's newest key when the key file is encrypted), or
   * `undefined` without a signer key file.
   */
  readonly verifierKey: string | undefined;
  /** True when the signer key file is encrypted with a passphrase. */
  readonly keyEncrypted: boolean;
}

/** Reads the status of the ledger in `dir`; `NOT_A_LEDGER` when there is none. */
export async function readLedgerStatus(dir: string): Promise<LedgerStatus> {
  const paths = ledgerPaths(dir);
  if (!exists(paths.db)) throw new LedgerError("NOT_A_LEDGER", `no ledger in ${paths.dir} (run init first)`);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(paths.db, { readOnly: true });
  } catch (error) {
    throw sqliteError(error, paths.db);
  }
  try {
    checkLedgerFile(db, paths.db);
    return await statusOf(db, paths.signerKey);
  } catch (error) {
    throw error instanceof SecuraMemError ? error : sqliteError(error, paths.db);
  } finally {
    db.close();
  }
}

async function statusOf(db: DatabaseSync, signerKeyPath: string): Promise<LedgerStatus> {
  const meta = new Map(
    (db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[]).map((
      r,
    ) => [r.key, r.value]),
  );
  const size = (db.prepare(LOG_SIZE_SQL).get() as { size: number | null }).size ?? 0;
  const latest = db.prepare("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1").get() as
    | { note: string }
    | undefined;
  if (latest === undefined || !meta.has("origin")) {
    throw new LedgerError("NOT_A_LEDGER", "ledger metadata or checkpoints are missing");
  }
  const keyFile = readSecretBytes(signerKeyPath);
  const keyEncrypted = keyFile !== undefined && isEncryptedKey(keyFile);
  return {
    origin: meta.get("origin")!,
    alg: meta.get("alg") ?? "",
    size,
    checkpoint: checkpointOfNote(latest.note),
    verifierKey: keyFile === undefined ? undefined : keyEncrypted ? newestKey(db) : await publicHalf(keyFile),
    keyEncrypted,
  };
}

function newestKey(db: DatabaseSync): string | undefined {
  const row = db.prepare("SELECT verifier_key FROM keys ORDER BY id DESC LIMIT 1").get() as
    | { verifier_key: string }
    | undefined;
  return row?.verifier_key;
}

async function publicHalf(keyFile: Uint8Array): Promise<string> {
  return (await parseSignerKey(new TextDecoder().decode(keyFile).trim())).verifierKey;
}
