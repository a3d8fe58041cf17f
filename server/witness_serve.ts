/**
 * Runs the witness app on loopback (`smem witness serve`): opens the witness directory and its key,
 * knows each log by origin, serves until shut down. Every request is answered only after the
 * checkpoint it cosigned is durably held (ledger/witness.ts writes, syncs and renames it first).
 * @module
 */
import { Witness } from "../ledger/witness.ts";
import type { Passphrase } from "../ledger/signer_key_file.ts";
import { ServerError } from "./errors.ts";
import { checkListenAddress, listenOnLoopback } from "./listen.ts";
import { createWitnessApp, WITNESS_MAX_BODY_BYTES, type WitnessedLog } from "./witness_app.ts";

/** Options of `startWitnessServer`. */
export interface WitnessServeOptions {
  /** The witness directory (`smem witness init`). */
  readonly dir: string;
  /** The logs it cosigns for; their origins must differ. */
  readonly logs: readonly WitnessedLog[];
  /** A loopback address. @default "127.0.0.1" */
  readonly host?: string;
  /** @default 8788 (0 picks a free port) */
  readonly port?: number;
  /** Largest request body, bytes. @default 65536 */
  readonly maxBodyBytes?: number;
  /** Opens an encrypted witness key. */
  readonly passphrase?: Passphrase;
}

/** A running witness server. */
export interface RunningWitness {
  /** e.g. `http://127.0.0.1:8788`; requests go to `${url}/add-checkpoint`. */
  readonly url: string;
  /** The witness's verifier key (what clients check its cosignatures with). */
  readonly verifierKey: string;
  /** Stops listening once the requests under way are answered. */
  shutdown(): Promise<void>;
}

/** Opens the witness and serves it on loopback; resolves once it listens. */
export async function startWitnessServer(options: WitnessServeOptions): Promise<RunningWitness> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8788;
  checkListenAddress(host, port);
  const logs = logsByOrigin(options.logs);
  const witness = await Witness.open(options.dir, options.passphrase);
  const app = createWitnessApp({
    witness,
    logs,
    maxBodyBytes: options.maxBodyBytes ?? WITNESS_MAX_BODY_BYTES,
  });
  const { url, server } = await listenOnLoopback(host, port, app.fetch);
  return { url, verifierKey: witness.verifierKey, shutdown: () => server.shutdown() };
}

function logsByOrigin(logs: readonly WitnessedLog[]): Map<string, WitnessedLog> {
  if (logs.length === 0) throw new ServerError("BAD_PARAM", "give at least one log to witness");
  const byOrigin = new Map<string, WitnessedLog>();
  for (const log of logs) {
    if (byOrigin.has(log.origin)) {
      throw new ServerError("BAD_PARAM", `two logs have the origin ${JSON.stringify(log.origin)}`);
    }
    byOrigin.set(log.origin, log);
  }
  return byOrigin;
}
