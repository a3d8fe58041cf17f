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

/** The typed error a call fails with (sync or async); the test fails when the call succeeds. */
export async function failureOf(fn: () => unknown): Promise<SecuraMemError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof SecuraMemError) return error;
    throw error;
  }
  throw new Error("the call succeeded; a SecuraMemError was expected");
}
