/**
 * Streams the lines of a file or of standard input in bounded memory, with 1-based line numbers.
 * Lines are split on the newline byte before decoding, so invalid UTF-8 is located by line.
 * @module
 */
import { concatBytes } from "../core/encoding.ts";
import { CanonicalError } from "../core/errors.ts";

/** One line without its terminator. */
export interface Line {
  readonly number: number;
  readonly text: string;
  /** False for a last line that ended without a newline. */
  readonly terminated: boolean;
}

const NEWLINE = 0x0a;

/** Lines of `source` (an open file or stdin); the last line may lack a newline. Invalid UTF-8 is `BAD_UTF8`. */
export async function* readLines(source: ReadableStream<Uint8Array>): AsyncGenerator<Line> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let carry: Uint8Array = new Uint8Array(0);
  let number = 0;
  const decode = (bytes: Uint8Array): string => {
    try {
      return decoder.decode(bytes);
    } catch {
      throw new CanonicalError("BAD_UTF8", "input is not valid UTF-8", { line: number });
    }
  };
  for await (const chunk of source) {
    let start = 0;
    let newline = chunk.indexOf(NEWLINE);
    while (newline >= 0) {
      const piece = chunk.subarray(start, newline);
      const bytes = carry.length === 0 ? piece : concatBytes(carry, piece);
      carry = new Uint8Array(0);
      number++;
      yield { number, text: decode(bytes), terminated: true };
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) carry = concatBytes(carry, chunk.subarray(start));
  }
  if (carry.length > 0) {
    number++;
    yield { number, text: decode(carry), terminated: false };
  }
}
