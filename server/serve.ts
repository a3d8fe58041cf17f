/**
 * Runs the API on loopback: opens the ledger (a writer handle and a reader handle), loads or
 * makes the token, serves, and shuts down without losing anything acknowledged.
 * @module
 */
import type { NoteVerifier } from "../core/keys.ts";
import { Ledger } from "../ledger/ledger.ts";
import type { Passphrase } from "../ledger/signer_key_file.ts";
import type { Hono } from "hono";
import { createApp } from "./app.ts";
import type { ApiDeps } from "./deps.ts";
import { loadToken } from "./auth.ts";
import { Intake } from "./intake.ts";
import { checkListenAddress, listenOnLoopback } from "./listen.ts";
import { ServerMetrics } from "./metrics.ts";
import { VerifyRunner } from "./verify_runner.ts";

/** Options of `startServer`. */
export interface ServeOptions {
  /** The ledger directory. */
  readonly dir: string;
  /** A loopback address. @default "127.0.0.1" */
  readonly host?: string;
  /** @default 8787 (0 picks a free port) */
  readonly port?: number;
  /** Read the token from this file instead of `<dir>/api.token`. */
  readonly tokenFile?: string;
  /** Require the token for reads too. @default false */
  readonly authReads?: boolean;
  /** Most drafts in flight before requests are refused with 503. @default 10000 */
  readonly queueCapacity?: number;
  /** Largest request body, bytes. @default 16 MiB */
  readonly maxBodyBytes?: number;
  /** Opens an encrypted signer key (see `OpenLedgerOptions.passphrase`). */
  readonly passphrase?: Passphrase;
  /** Witnesses whose cosignatures `POST /v1/cosignatures` takes. @default none */
  readonly witnesses?: readonly NoteVerifier[];
}

/** A running server. */
export interface RunningServer {
  /** e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  /** Where the token is, and whether this start generated it. */
  readonly token: { readonly file: string; readonly generated: boolean };
  /**
   * Stops intake, drains, writes a final checkpoint, closes; resolves when all is durable, with
   * the final tree size.
   */
  shutdown(): Promise<number>;
}

/** The app and what it holds open, before it listens (also what in-process tests use). */
export interface OpenApi {
  readonly app: Hono;
  readonly deps: ApiDeps;
  readonly token: { readonly file: string; readonly generated: boolean };
  /** Stops intake and drains it, writes a final checkpoint, closes the ledger handles; the final size. */
  close(): Promise<number>;
}

/** Opens the ledger (a writer handle and a reader handle), the token and the app. */
export async function openApi(options: ServeOptions): Promise<OpenApi> {
  let intake: Intake | undefined;
  let reader: Ledger | undefined;
  const witnesses = options.witnesses ?? [];
  const metrics = new ServerMetrics({
    queueDepth: () => intake?.depth ?? 0,
    logSize: () => reader?.latestCheckpoint().checkpoint.size ?? 0,
    witnessSizes: () =>
      witnesses.map((w) => ({ witness: w.name, size: reader?.newestCosignedSizeOf(w.text) ?? 0 })),
  });
  const writer = await Ledger.open(options.dir, {
    onCommit: (commit) => metrics.observeCommit(commit),
    passphrase: options.passphrase,
  });
  try {
    writer.assertCanSign("serve writes");
    reader = await Ledger.open(options.dir);
    const token = loadToken(writer.paths.apiToken, options.tokenFile);
    intake = new Intake(writer, options.queueCapacity ?? 10_000, metrics);
    const deps: ApiDeps = {
      writer,
      reader,
      intake,
      metrics,
      verifier: new VerifyRunner(options.dir, metrics),
      token: token.token,
      authReads: options.authReads ?? false,
      maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 * 1024,
      witnesses,
    };
    return {
      app: createApp(deps),
      deps,
      token: { file: options.tokenFile ?? writer.paths.apiToken, generated: token.generated },
      close: closeOnce(deps),
    };
  } catch (error) {
    reader?.close();
    writer.close();
    throw error;
  }
}

/** Starts the API on loopback; resolves once it listens. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8787;
  checkListenAddress(host, port);
  const api = await openApi(options);
  try {
    const { url, server } = await listenOnLoopback(host, port, api.app.fetch);
    let stopped: Promise<number> | undefined;
    return {
      url,
      token: api.token,
      shutdown: () =>
        stopped ??= (async () => {
          await api.deps.intake.close();
          await server.shutdown();
          return await api.close();
        })(),
    };
  } catch (error) {
    await api.close();
    throw error;
  }
}

function closeOnce(deps: ApiDeps): () => Promise<number> {
  let done: Promise<number> | undefined;
  return () =>
    done ??= (async () => {
      await deps.intake.close();
      try {
        return (await deps.writer.checkpoint()).checkpoint.size;
      } finally {
        deps.reader.close();
        deps.writer.close();
      }
    })();
}
