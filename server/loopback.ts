/**
 * Loopback addresses: the only ones `smem serve` binds to, and the only hosts its requests may
 * name.
 * @module
 */
import type { Context, Next } from "hono";
import { ServerError } from "./errors.ts";

/** True for a literal loopback address: 127.0.0.0/8 or ::1. */
export function isLoopbackAddress(host: string): boolean {
  if (host === "::1" || host === "[::1]") return true;
  const octets = host.split(".");
  return octets.length === 4 && octets[0] === "127" &&
    octets.every((octet) => /^(0|[1-9][0-9]{0,2})$/.test(octet) && Number(octet) <= 255);
}

/** Refuses a bind address that is not loopback. */
export function checkBindAddress(host: string): string {
  if (!isLoopbackAddress(host)) {
    throw new ServerError(
      "NOT_LOOPBACK",
      `refusing to listen on ${JSON.stringify(host)}: smem serve binds to loopback only (127.0.0.1 or ::1)`,
    );
  }
  return host.replace(/^\[(.*)\]$/, "$1");
}

/** True when a Host header names localhost or a loopback address (any port). */
export function isLoopbackHostHeader(header: string | undefined): boolean {
  if (header === undefined) return false;
  const host = header.startsWith("[")
    ? header.slice(0, header.indexOf("]") + 1)
    : header.replace(/:[0-9]*$/, "");
  return host.toLowerCase() === "localhost" || isLoopbackAddress(host);
}

/**
 * Refuses (`FORBIDDEN_HOST`) a request whose Host header names no loopback host: a browser page on
 * another site can reach loopback by DNS rebinding, and its Host header (from which the request URL
 * is built) gives it away.
 */
export async function requireLoopbackHost(c: Context, next: Next): Promise<void> {
  if (!isLoopbackHostHeader(new URL(c.req.url).host)) {
    throw new ServerError("FORBIDDEN_HOST", "requests must name a loopback host (127.0.0.1, ::1, localhost)");
  }
  await next();
}
