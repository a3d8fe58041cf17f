/**
 * Streams the lines of a file or of standard input in bounded memory, with 1-based line numbers.
 * @module
 */

/** One line without its terminator. */
export interface Line {
  readonly number: number;
  readonly text: string;
}

/** Lines of `source` (an open file or stdin); the last line may lack a newline. */
export async function* readLines(source: ReadableStream<Uint8Array>): AsyncGenerator<Line> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let buffered = "";
  let number = 0;
  for await (const chunk of source) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      yield { number: ++number, text: buffered.slice(0, newline) };
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf("\n");
    }
  }
  buffered += decoder.decode();
  if (buffered.length > 0) yield { number: ++number, text: buffered };
}
