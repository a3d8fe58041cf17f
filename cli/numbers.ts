/**
 * Strict parsing of numeric command-line arguments.
 * @module
 */
import { UsageError } from "./context.ts";

/** A non-negative integer argument, or a UsageError naming it. */
export function parseCount(text: string | undefined, what: string): number {
  if (text === undefined || !/^(0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${what} must be a non-negative integer, got ${JSON.stringify(text ?? "")}`);
  }
  return Number(text);
}

/** An optional non-negative integer argument. */
export function parseOptionalCount(text: string | undefined, what: string): number | undefined {
  return text === undefined ? undefined : parseCount(text, what);
}

/** An optional whole-number argument of at least 1 (a batch size, a thread count). */
export function parseOptionalPositive(text: string | undefined, what: string): number | undefined {
  const count = parseOptionalCount(text, what);
  if (count === 0) throw new UsageError(`${what} must be at least 1`);
  return count;
}
