/**
 * Strict reader of JSON *text* (SPEC §2). `JSON.parse` cannot be used: it accepts duplicate keys
 * and cannot tell `2.0` from `2`. This reader rejects, with a typed error and a character offset:
 * duplicate keys (`DUPLICATE_KEY`), numbers with a fraction or exponent (`FLOAT_DISALLOWED`),
 * integers beyond 2^53−1 (`UNSAFE_INTEGER`), lone surrogates (`LONE_SURROGATE`), nesting deeper
 * than 32 (`NESTING_TOO_DEEP`) and anything that is not JSON (`BAD_JSON`).
 * @module
 */
import { strictUtf8 } from "./encoding.ts";
import { CanonicalError } from "./errors.ts";
import { type JsonObject, type JsonValue, MAX_NESTING, setOwn } from "./json.ts";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Parses UTF-8 bytes strictly; invalid UTF-8 is `BAD_UTF8`.
 *
 * @example
 * ```ts
 * import { readJsonBytes } from "../mod.ts";
 * readJsonBytes(new TextEncoder().encode(`{"a":1}`)); // { a: 1 }
 * ```
 */
export function readJsonBytes(bytes: Uint8Array): JsonValue {
  const text = strictUtf8(bytes);
  if (text === undefined) throw new CanonicalError("BAD_UTF8", "input is not valid UTF-8");
  return readJsonText(text);
}

/**
 * Parses one JSON text strictly. Leading and trailing JSON whitespace is allowed.
 *
 * @example
 * ```ts
 * import { readJsonText } from "../mod.ts";
 * readJsonText(`{"a":[1,true,null]}`); // { a: [1, true, null] }
 * ```
 */
export function readJsonText(text: string): JsonValue {
  const reader = new StrictReader(text);
  reader.skipWhitespace();
  const value = reader.readValue(0);
  reader.skipWhitespace();
  if (reader.pos !== text.length) reader.fail("BAD_JSON", "unexpected text after the JSON value");
  return value;
}

class StrictReader {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(code: string, message: string, at = this.pos): never {
    throw new CanonicalError(code, message, { offset: at });
  }

  skipWhitespace(): void {
    const text = this.text;
    let pos = this.pos;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      pos++;
    }
    this.pos = pos;
  }

  readValue(depth: number): JsonValue {
    const c = this.text.charCodeAt(this.pos);
    if (c === QUOTE) return this.readString();
    if (c === 0x7b) return this.readObject(depth + 1);
    if (c === 0x5b) return this.readArray(depth + 1);
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.readNumber();
    if (this.text.startsWith("true", this.pos)) return this.advance(4, true);
    if (this.text.startsWith("false", this.pos)) return this.advance(5, false);
    if (this.text.startsWith("null", this.pos)) return this.advance(4, null);
    if (this.pos >= this.text.length) this.fail("BAD_JSON", "unexpected end of input");
    return this.fail("BAD_JSON", `unexpected character ${JSON.stringify(this.text[this.pos])}`);
  }

  private advance<T extends JsonValue>(n: number, value: T): T {
    this.pos += n;
    return value;
  }

  private enter(depth: number): void {
    if (depth > MAX_NESTING) {
      this.fail("NESTING_TOO_DEEP", `nesting deeper than ${MAX_NESTING}`);
    }
    this.pos++;
    this.skipWhitespace();
  }

  private readObject(depth: number): JsonObject {
    this.enter(depth);
    const obj: JsonObject = {};
    if (this.text.charCodeAt(this.pos) === 0x7d) return this.advance(1, obj);
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== QUOTE) this.fail("BAD_JSON", "expected a string key");
      const keyAt = this.pos;
      const key = this.readString();
      if (Object.hasOwn(obj, key)) this.fail("DUPLICATE_KEY", `duplicate key ${JSON.stringify(key)}`, keyAt);
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail("BAD_JSON", "expected ':'");
      this.pos++;
      this.skipWhitespace();
      setOwn(obj, key, this.readValue(depth));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x7d) return obj;
      if (c !== 0x2c) this.fail("BAD_JSON", "expected ',' or '}'", this.pos - 1);
      this.skipWhitespace();
    }
  }

  private readArray(depth: number): JsonValue[] {
    this.enter(depth);
    const arr: JsonValue[] = [];
    if (this.text.charCodeAt(this.pos) === 0x5d) return this.advance(1, arr);
    for (;;) {
      arr.push(this.readValue(depth));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x5d) return arr;
      if (c !== 0x2c) this.fail("BAD_JSON", "expected ',' or ']'", this.pos - 1);
      this.skipWhitespace();
    }
  }

  private readNumber(): number {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    if (text.charCodeAt(pos) === 0x2d) pos++;
    const firstDigit = pos;
    while (pos < text.length && isDigit(text.charCodeAt(pos))) pos++;
    if (pos === firstDigit) this.fail("BAD_JSON", "expected a digit", pos);
    if (text.charCodeAt(firstDigit) === 0x30 && pos - firstDigit > 1) {
      this.fail("BAD_JSON", "number with a leading zero", start);
    }
    const next = text.charCodeAt(pos);
    if (next === 0x2e || next === 0x65 || next === 0x45) {
      this.fail("FLOAT_DISALLOWED", "numbers must be integers (no fraction or exponent)", start);
    }
    this.pos = pos;
    const value = Number(text.slice(start, pos));
    if (!Number.isSafeInteger(value)) {
      this.fail("UNSAFE_INTEGER", "integer outside ±(2^53−1)", start);
    }
    return value === 0 ? 0 : value;
  }

  readString(): string {
    const text = this.text;
    const start = ++this.pos;
    let pos = start;
    let c = 0;
    while (pos < text.length) {
      c = text.charCodeAt(pos);
      if (c === QUOTE || c === BACKSLASH || c < 0x20) break;
      pos++;
    }
    let out = text.slice(start, pos);
    if (c === BACKSLASH) {
      this.pos = pos;
      out += this.readEscapedTail();
    } else {
      if (pos >= text.length) this.fail("BAD_JSON", "unterminated string", start - 1);
      if (c < 0x20) this.fail("BAD_JSON", "control character in string", pos);
      this.pos = pos + 1;
    }
    if (!out.isWellFormed()) this.fail("LONE_SURROGATE", "string holds a lone surrogate", start - 1);
    return out;
  }

  private readEscapedTail(): string {
    const text = this.text;
    const parts: string[] = [];
    let pos = this.pos;
    for (;;) {
      if (pos >= text.length) this.fail("BAD_JSON", "unterminated string", pos);
      const c = text.charCodeAt(pos);
      if (c === QUOTE) break;
      if (c < 0x20) this.fail("BAD_JSON", "control character in string", pos);
      if (c !== BACKSLASH) {
        parts.push(text[pos++]);
        continue;
      }
      const e = text[pos + 1];
      const simple = ESCAPES[e];
      if (simple !== undefined) {
        parts.push(simple);
        pos += 2;
      } else if (e === "u") {
        const hex = text.slice(pos + 2, pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("BAD_JSON", "bad \\u escape", pos);
        parts.push(String.fromCharCode(parseInt(hex, 16)));
        pos += 6;
      } else {
        this.fail("BAD_JSON", "bad escape", pos);
      }
    }
    this.pos = pos + 1;
    return parts.join("");
  }
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
