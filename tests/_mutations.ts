/** fast-check arbitraries for tamper properties: one-edit mutations of a text, and arbitrary text. */
import fc from "fast-check";

/** Characters a tamperer or a bad copy introduces: format separators, base64, JSON syntax, Unicode traps. */
const EDIT_CHARS = [
  "A",
  "a",
  "0",
  "9",
  "+",
  "/",
  "=",
  "\n",
  "\r",
  "\t",
  " ",
  "—",
  "-",
  ":",
  ",",
  '"',
  "\\",
  "{",
  "}",
  "[",
  "]",
  "é",
  "e\u0301",
  "\u0000",
  "\ud800",
  "😀",
];

const editChar = fc.constantFrom(...EDIT_CHARS);

/** Positions next to a separator (any character not a letter or digit): where formats hide their rules. */
function boundariesOf(text: string): number[] {
  const at: number[] = [0, text.length];
  for (let i = 0; i < text.length; i++) {
    if (!/[A-Za-z0-9]/.test(text[i])) at.push(i, i + 1);
  }
  return [...new Set(at)];
}

/**
 * One edit of `text`: a character replaced, deleted, inserted or changed in case, two neighbours
 * swapped, a line dropped, repeated or ended in white space, or the whole text carried with CRLF
 * line ends, a byte-order mark, or one newline more or less at its end. Half the edits fall next
 * to a separator, half the characters come from the text itself. An edit may leave the text as it
 * was (a character replaced by itself).
 */
export function oneEditOf(text: string): fc.Arbitrary<string> {
  const boundaries = boundariesOf(text);
  const insertAt = fc.oneof(fc.nat({ max: text.length }), fc.constantFrom(...boundaries));
  const at = insertAt.map((i) => Math.min(i, text.length - 1));
  const char = fc.oneof(editChar, fc.constantFrom(...text));
  const lines = text.split("\n");
  const line = fc.nat({ max: lines.length - 1 });
  return fc.oneof(
    fc.tuple(at, char).map(([i, c]) => text.slice(0, i) + c + text.slice(i + 1)),
    at.map((i) => text.slice(0, i) + text.slice(i + 1)),
    fc.tuple(insertAt, char).map(([i, c]) => text.slice(0, i) + c + text.slice(i)),
    at.map((i) => text.slice(0, i) + text.charAt(i + 1) + text.charAt(i) + text.slice(i + 2)),
    at.map((i) => text.slice(0, i) + otherCase(text.charAt(i)) + text.slice(i + 1)),
    line.map((i) => lines.toSpliced(i, 1).join("\n")),
    line.map((i) => lines.toSpliced(i, 0, lines[i]).join("\n")),
    fc.tuple(line, fc.constantFrom(" ", "\t", "\r")).map(([i, c]) =>
      lines.toSpliced(i, 1, lines[i] + c).join("\n")
    ),
    fc.constantFrom(text.replaceAll("\n", "\r\n"), `\ufeff${text}`, `${text}\n`, text.slice(0, -1)),
  );
}

function otherCase(char: string): string {
  const upper = char.toUpperCase();
  return upper === char ? char.toLowerCase() : upper;
}

/** One edit of `text`, or text of no particular shape (including lone surrogates and controls). */
export function tamperedOrArbitrary(text: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: oneEditOf(text) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 120 }) },
  );
}
