/**
 * Listening on loopback, for both servers (`smem serve` and `smem witness serve`): the address must
 * be loopback, the port 0…65535 (0 picks a free one).
 * @module
 */
import { ServerError } from "./errors.ts";
import { checkBindAddress } from "./loopback.ts";

/** A server listening on loopback. */
export interface Listening {
  /** e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  readonly server: Deno.HttpServer;
}

/** Refuses an address that is not loopback or a port outside 0…65535; the host to bind. */
export function checkListenAddress(host: string, port: number): string {
  const hostname = checkBindAddress(host);
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
    throw new ServerError("BAD_PARAM", `port must be 0…65535, not ${port}`);
  }
  return hostname;
}

/** Serves `fetch` on `host` (a loopback address) and `port`; resolves once it listens. */
export async function listenOnLoopback(
  host: string,
  port: number,
  fetch: (request: Request) => Response | Promise<Response>,
): Promise<Listening> {
  const hostname = checkListenAddress(host, port);
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({ hostname, port, onListen: listening.resolve }, fetch);
  const address = await listening.promise;
  return { url: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${address.port}`, server };
}
