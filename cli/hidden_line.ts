/**
 * A line typed on a terminal in raw mode with echo off (a passphrase): the keys' bytes go in as
 * they arrive; Enter ends it, Backspace takes back one character, Ctrl-U clears it, Ctrl-C (or
 * Ctrl-D on an empty line) cancels.
 * @module
 */

const ENTER = new Set([0x0a, 0x0d]);
const BACKSPACE = new Set([0x08, 0x7f]);
const CTRL_C = 0x03;
const CTRL_D = 0x04;
const CTRL_U = 0x15;

/** Where a line stands after the bytes fed so far. */
export type LineState = "more" | "done" | "cancelled";

/** Collects one hidden line from raw terminal bytes. */
export class HiddenLine {
  private readonly bytes: number[] = [];
  private state: LineState = "more";

  /** Takes the next bytes read from the terminal; bytes after the line's end are ignored. */
  feed(chunk: Uint8Array): LineState {
    for (const byte of chunk) {
      if (this.state !== "more") break;
      this.take(byte);
    }
    return this.state;
  }

  /** The line typed (UTF-8 decoded; invalid bytes become U+FFFD). */
  text(): string {
    return new TextDecoder().decode(new Uint8Array(this.bytes));
  }

  private take(byte: number): void {
    if (ENTER.has(byte)) this.state = "done";
    else if (byte === CTRL_C || (byte === CTRL_D && this.bytes.length === 0)) this.state = "cancelled";
    else if (byte === CTRL_U) this.bytes.length = 0;
    else if (BACKSPACE.has(byte)) this.dropLastCharacter();
    else if (byte >= 0x20 || byte === 0x09) this.bytes.push(byte);
  }

  /** Removes the last UTF-8 character: its continuation bytes (10xxxxxx) and its lead byte. */
  private dropLastCharacter(): void {
    while (this.bytes.length > 0 && (this.bytes[this.bytes.length - 1] & 0xc0) === 0x80) this.bytes.pop();
    this.bytes.pop();
  }
}
