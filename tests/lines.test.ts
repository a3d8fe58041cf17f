/**
 * `readLines` (cli/lines.ts): whatever chunks the bytes arrive in, the lines come out as the text
 * splits, numbered from 1, with a byte-order mark kept; invalid UTF-8 stops the stream at its own
 * line, after every line before it. `readAhead` gives a file's bytes with the next read in flight.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { CanonicalError } from "../core/errors.ts";
import { type Line, readLines } from "../cli/lines.ts";
import { readAhead } from "../cli/read_ahead.ts";
import { concatBytes } from "../core/encoding.ts";
import { fcParams } from "./_fc.ts";

const encoder = new TextEncoder();

/** `bytes` cut at `cuts` (sorted offsets), as a stream of chunks. */
async function* chunked(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    yield bytes.slice(start, cut);
    start = cut;
  }
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<{ lines: Line[]; error?: unknown }> {
  const lines: Line[] = [];
  try {
    for await (const line of readLines(source)) lines.push(line);
  } catch (error) {
    return { lines, error };
  }
  return { lines };
}

const lineText = fc.string({
  unit: fc.constantFrom("a", "é", "😀", "\r", " ", "{", "\ufeff", "\u0000"),
  maxLength: 12,
});
const cutsOf = (length: number) =>
  fc.uniqueArray(fc.integer({ min: 0, max: length }), { maxLength: 8 }).map((cuts) =>
    cuts.sort((a, b) => a - b)
  );

Deno.test("lines property: any chunking gives the text's lines, numbered, the last one unterminated unless it ends in a newline", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(lineText, { minLength: 1, maxLength: 10 }).chain((texts) => {
        const whole = encoder.encode(texts.join("\n"));
        return fc.tuple(fc.constant(texts), fc.boolean(), cutsOf(whole.length + 1));
      }),
      async ([texts, endsInNewline, cuts]) => {
        const text = texts.join("\n") + (endsInNewline ? "\n" : "");
        const bytes = encoder.encode(text);
        const { lines, error } = await collect(chunked(bytes, cuts.filter((cut) => cut <= bytes.length)));
        assert.equal(error, undefined);
        const lastUnterminated = !endsInNewline && texts.at(-1) !== "";
        const expected = endsInNewline || lastUnterminated ? texts : texts.slice(0, -1);
        assert.deepEqual(lines.map((line) => line.text), expected);
        lines.forEach((line, i) => assert.equal(line.number, i + 1));
        lines.forEach((line, i) => assert.equal(line.terminated, i < lines.length - 1 || !lastUnterminated));
      },
    ),
    fcParams(),
  );
});

Deno.test("lines property: invalid UTF-8 in a line is BAD_UTF8 at that line, after every line before it", async () => {
  const invalid = [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98]];
  await fc.assert(
    fc.asyncProperty(
      fc.array(lineText, { minLength: 1, maxLength: 8 }),
      fc.nat(),
      fc.constantFrom(...invalid),
      fc.array(fc.nat(), { maxLength: 6 }),
      async (texts, at, bad, rawCuts) => {
        const broken = at % texts.length;
        const parts = texts.map((text) => encoder.encode(text));
        parts[broken] = new Uint8Array([...parts[broken], ...bad]);
        const joined = parts.flatMap((part, i) => [...(i > 0 ? [0x0a] : []), ...part]);
        const whole = new Uint8Array([...joined, 0x0a]);
        const cuts = [...new Set(rawCuts.map((cut) => cut % (whole.length + 1)))].sort((a, b) => a - b);
        const { lines, error } = await collect(chunked(whole, cuts));
        assert.ok(error instanceof CanonicalError, String(error));
        assert.equal(error.code, "BAD_UTF8");
        assert.equal(error.where.line, broken + 1);
        assert.deepEqual(lines.map((line) => line.text), texts.slice(0, broken));
      },
    ),
    fcParams(),
  );
});

Deno.test("lines: a byte-order mark is kept, at the start of the input as anywhere else", async () => {
  const { lines } = await collect(chunked(encoder.encode("\ufeffa\n\ufeffb\n"), [1, 5]));
  assert.deepEqual(lines.map((line) => line.text), ["\ufeffa", "\ufeffb"]);
});

Deno.test("read ahead: a file's bytes come in order; a reader that stops early leaves nothing open or pending", async () => {
  const path = await Deno.makeTempFile({ prefix: "smem-read-ahead-" });
  try {
    const bytes = new Uint8Array(2.5 * 2 ** 20).map((_, i) => (i * 7 + (i >> 12)) & 0xff);
    await Deno.writeFile(path, bytes);
    const chunks: Uint8Array[] = [];
    for await (const chunk of readAhead(await Deno.open(path))) chunks.push(chunk);
    assert.ok(chunks.length >= 3);
    assert.deepEqual(concatBytes(...chunks), bytes);
    for await (const chunk of readAhead(await Deno.open(path))) {
      assert.equal(chunk[1], bytes[1]);
      break;
    }
  } finally {
    await Deno.remove(path);
  }
});
