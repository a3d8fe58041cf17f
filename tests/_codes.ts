/** The stable code a call fails with, or `undefined` when it succeeds (sync or async). */
import { SecuraMemError } from "../core/errors.ts";

export async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (error) {
    if (error instanceof SecuraMemError) return error.code;
    throw error;
  }
}

/** The synchronous form of codeOf. */
export function codeOfSync(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof SecuraMemError) return error.code;
    throw error;
  }
}
