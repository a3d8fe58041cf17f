/**
 * Reading a request body of one media type: another type is `UNSUPPORTED_MEDIA_TYPE`, and a client
 * that went away mid-body is `BODY_UNREADABLE`, not a server fault; a body over the limit is
 * `BODY_TOO_LARGE`.
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { strictUtf8 } from "../core/encoding.ts";
import { ServerError } from "./errors.ts";

/** The request body's bytes, sent as `mediaType` (e.g. "application/json"); `what` names it in the error. */
export async function readBody(c: Context, mediaType: string, what: string): Promise<Uint8Array> {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== mediaType) {
    throw new ServerError("UNSUPPORTED_MEDIA_TYPE", `send ${what} as Content-Type: ${mediaType}`);
  }
  return await readBodyBytes(c.req.raw);
}

/** The request body's bytes, whatever its type; a client that went away mid-body is `BODY_UNREADABLE`. */
export async function readBodyBytes(request: Request): Promise<Uint8Array> {
  try {
    return new Uint8Array(await request.arrayBuffer());
  } catch (error) {
    throw new ServerError(
      "BODY_UNREADABLE",
      `the request body could not be read (${String(error).split("\n")[0]})`,
    );
  }
}

/**
 * `bytes` as UTF-8 text, a byte-order mark kept (no format read here starts with one, so it is
 * refused there as the byte it is); `BAD_UTF8`, naming `what`, when the bytes are not UTF-8.
 */
export function utf8Text(bytes: Uint8Array, what: string): string {
  const text = strictUtf8(bytes);
  if (text === undefined) throw new ServerError("BAD_UTF8", `${what} is not UTF-8 text`);
  return text;
}

/** Refuses a request body over `maxBytes` with `BODY_TOO_LARGE` (413), before it is read whole. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ServerError("BODY_TOO_LARGE", `the request body is over the limit of ${maxBytes} bytes`);
    },
  });
}
