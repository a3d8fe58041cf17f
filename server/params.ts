/**
 * Query parameters as typed values: a malformed one is `BAD_PARAM` naming it.
 * @module
 */
import type { Context } from "hono";
import { ServerError } from "./errors.ts";

/** Reads one query parameter by name. */
export type Query = (name: string) => string | undefined;

/**
 * The query parameters of a request, refusing one the endpoint does not take or one given twice:
 * a misspelt filter must not widen a query to every record.
 */
export function queryParams(c: Context, names: readonly string[]): Query {
  const given = c.req.queries();
  for (const [name, values] of Object.entries(given)) {
    if (!names.includes(name)) {
      const takes = names.length === 0 ? "none" : names.join(", ");
      throw new ServerError(
        "BAD_PARAM",
        `unknown parameter ${JSON.stringify(name)} (this endpoint takes ${takes})`,
        {
          path: name,
        },
      );
    }
    if (values.length > 1) {
      throw new ServerError("BAD_PARAM", `${name} is given ${values.length} times`, { path: name });
    }
  }
  return (name) => given[name]?.[0];
}

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
