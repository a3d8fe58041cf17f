/**
 * Reading a request body of one media type: another type is `UNSUPPORTED_MEDIA_TYPE`, and a client
 * that went away mid-body is `BODY_UNREADABLE`, not a server fault.
 * @module
 */
import type { Context } from "hono";
import { ServerError } from "./errors.ts";

/** The request body's bytes, sent as `mediaType` (e.g. "application/json"); `what` names it in the error. */
export async function readBody(c: Context, mediaType: string, what: string): Promise<Uint8Array> {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== mediaType) {
    throw new ServerError("UNSUPPORTED_MEDIA_TYPE", `send ${what} as Content-Type: ${mediaType}`);
  }
  try {
    return new Uint8Array(await c.req.arrayBuffer());
  } catch (error) {
    throw new ServerError(
      "BODY_UNREADABLE",
      `the request body could not be read (${String(error).split("\n")[0]})`,
    );
  }
}
