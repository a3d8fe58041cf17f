/**
 * Query parameters as typed values: a malformed one is `BAD_PARAM` naming it.
 * @module
 */
import { ServerError } from "./errors.ts";

/** A whole number ≥ 0 (decimal digits only), or undefined when the parameter is absent. */
export function countParam(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  const number = /^[0-9]{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number)) {
    throw new ServerError("BAD_PARAM", `${name} must be a whole number ≥ 0, not ${JSON.stringify(value)}`, {
      path: name,
    });
  }
  return number;
}

/** A required whole number ≥ 0. */
export function requiredCount(value: string | undefined, name: string): number {
  const number = countParam(value, name);
  if (number === undefined) throw new ServerError("BAD_PARAM", `${name} is required`, { path: name });
  return number;
}

/** A yes/no parameter: absent or `0` is no; present bare, `1` or `true` is yes. */
export function flagParam(value: string | undefined, name: string): boolean {
  if (value === undefined || value === "0") return false;
  if (value === "" || value === "1" || value === "true") return true;
  throw new ServerError("BAD_PARAM", `${name} must be 1 or 0, not ${JSON.stringify(value)}`, { path: name });
}
