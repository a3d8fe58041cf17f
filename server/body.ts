/**
 * Reading a request body: a client that went away mid-body is `BODY_UNREADABLE`, not a server fault.
 * @module
 */
import type { Context } from "hono";
import { ServerError } from "./errors.ts";

/** The request body's bytes. */
export async function readBody(c: Context): Promise<Uint8Array> {
  try {
    return new Uint8Array(await c.req.arrayBuffer());
  } catch (error) {
    throw new ServerError(
      "BODY_UNREADABLE",
      `the request body could not be read (${String(error).split("\n")[0]})`,
    );
  }
}
