/**
 * The JSON value model shared by the reader and the canonicalizer.
 * @module
 */

/** A JSON value as SecuraMem accepts it: integers only, no `undefined`. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Deepest container nesting accepted; the record object itself is depth 1 (SPEC §2). */
export const MAX_NESTING = 32;

/** True when `value` is a plain object (not an array, not null, not a class instance). */
export function isPlainObject(value: unknown): value is JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Sets `obj[key]` as an own data property, even for `__proto__`. */
export function setOwn(obj: JsonObject, key: string, value: JsonValue): void {
  if (key === "__proto__") {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}
