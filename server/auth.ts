/**
 * Bearer-token auth. The token is 32 random bytes (base64url) generated at first start into
 * `<ledger>/api.token` (0600), or read from a file the operator gives. Hono's `bearerAuth` parses
 * the header; the comparison is ours, constant-time and synchronous (Hono's default hashes both
 * sides with WebCrypto, ~90 µs a request on the hot path).
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { readSecretFile, writeSecretFile } from "../ledger/files.ts";
import { ServerError } from "./errors.ts";

/** The token in `tokenFile`, or the ledger's `api.token`, generated when absent. */
export function loadToken(
  ledgerTokenFile: string,
  tokenFile?: string,
): { token: string; generated: boolean } {
  const path = tokenFile ?? ledgerTokenFile;
  const existing = readSecretFile(path);
  if (existing !== undefined) {
    if (!/^[A-Za-z0-9._~+/-]{16,}=*$/.test(existing)) {
      throw new ServerError("BAD_TOKEN", `${path}: a token is 16 or more characters of [A-Za-z0-9._~+/-]`);
    }
    return { token: existing, generated: false };
  }
  if (tokenFile !== undefined) throw new ServerError("BAD_TOKEN", `${tokenFile}: no such token file`);
  const token = base64url(crypto.getRandomValues(new Uint8Array(32)));
  writeSecretFile(path, token);
  return { token, generated: true };
}

/** Middleware refusing requests without `Authorization: Bearer <token>`, with JSON errors. */
export function requireToken(token: string): MiddlewareHandler {
  const refusal = (message: string) => ({ message: { error: { code: "UNAUTHORIZED", message } } });
  const expected = new TextEncoder().encode(token);
  return bearerAuth({
    verifyToken: (given) => constantTimeEqual(expected, new TextEncoder().encode(given)),
    noAuthenticationHeader: refusal("this endpoint needs Authorization: Bearer <token> (see api.token)"),
    invalidAuthenticationHeader: refusal("malformed Authorization header; expected Bearer <token>"),
    invalidToken: refusal("wrong bearer token"),
  });
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Compares two byte strings in time that depends on their lengths only, not their contents. */
export function constantTimeEqual(expected: Uint8Array, given: Uint8Array): boolean {
  let difference = expected.length ^ given.length;
  for (let i = 0; i < expected.length; i++) {
    difference |= expected[i] ^ (given[i] ?? 0);
  }
  return difference === 0;
}
