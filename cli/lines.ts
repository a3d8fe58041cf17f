/**
 * Streams the lines of a file or of standard input in bounded memory, with 1-based line numbers.
 * Each chunk read is decoded once, up to its last newline; a chunk that is not valid UTF-8 is
 * split on the newline byte and decoded a line at a time, so the error names its line. A byte
 * order mark is kept, as the strict JSON reader keeps it: it is not JSON, and in a bundle it
 * would be an inserted byte.
 * @module
 */
import { concatBytes, strictUtf8 } from "../core/encoding.ts";
import { CanonicalError } from "../core/errors.ts";

/** One line without its terminator. */
export interface Line {
  readonly number: number;
  readonly text: string;
  /** False for a last line that ended without a newline. */
  readonly terminated: boolean;
}

const NEWLINE = 0x0a;

/** Lines of `source` (a file's or stdin's chunks); the last line may lack a newline. Invalid UTF-8 is `BAD_UTF8`. */
export async function* readLines(source: AsyncIterable<Uint8Array>): AsyncGenerator<Line> {
  // The bytes after the last newline so far, as read (joined once a newline ends them, so a line
  // longer than many chunks, such as a large blob's, is copied once and not once per chunk).
  let carry: Uint8Array[] = [];
  let number = 0;
  for await (const chunk of source) {
    const end = chunk.lastIndexOf(NEWLINE);
    if (end < 0) {
      if (chunk.length > 0) carry.push(chunk.slice());
      continue;
    }
    const whole = carry.length === 0 ? chunk.subarray(0, end) : concatBytes(...carry, chunk.subarray(0, end));
    carry = end + 1 < chunk.length ? [chunk.slice(end + 1)] : [];
    for (const text of decodeLines(whole, number)) {
      number++;
      yield { number, text, terminated: true };
    }
  }
  if (carry.length > 0) {
    number++;
    yield { number, text: decodeLine(concatBytes(...carry), number), terminated: false };
  }
}

/** The lines of `bytes` (newline-separated, none at the end), the first of which is line `before + 1`. */
function* decodeLines(bytes: Uint8Array, before: number): Generator<string> {
  const text = strictUtf8(bytes);
  if (text !== undefined) {
    yield* text.split("\n");
    return;
  }
  let start = 0;
  for (let number = before + 1;; number++) {
    const newline = bytes.indexOf(NEWLINE, start);
    yield decodeLine(bytes.subarray(start, newline < 0 ? bytes.length : newline), number);
    if (newline < 0) return;
    start = newline + 1;
  }
}

function decodeLine(bytes: Uint8Array, number: number): string {
  const text = strictUtf8(bytes);
  if (text === undefined) throw new CanonicalError("BAD_UTF8", "input is not valid UTF-8", { line: number });
  return text;
}
