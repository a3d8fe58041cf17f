/**
 * A progress bar on stderr for long work: drawn only on a terminal, at most every 100 ms, and
 * cleared when the work ends, so the result prints on a clean line.
 * @module
 */

/** A progress bar on stderr. */
export interface Progress {
  /** Shows `done` of the total: the one given here, else the one given when it was made. */
  update(done: number, total?: number): void;
  /** Clears the bar, if one was drawn; calling it again does nothing. */
  done(): void;
}

/** Least time between two draws, in ms. */
const REDRAW_MS = 100;
const BAR_WIDTH = 30;

/** A bar labelled `label`, drawn only when `terminal` (stderr is one, and no --json). */
export function progressBar(label: string, firstTotal: number | undefined, terminal: boolean): Progress {
  const encoder = new TextEncoder();
  const write = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  // The first update draws at once: a process's clock starts near 0.
  let last = -Infinity;
  let total = firstTotal;
  let drawn = false;
  return {
    update(done, newTotal) {
      total = newTotal ?? total;
      const now = performance.now();
      if (!terminal || now - last < REDRAW_MS) return;
      last = now;
      drawn = true;
      write(`\r${label} ${barText(done, total)}`);
    },
    done() {
      if (drawn) write("\r\x1b[K");
      drawn = false;
    },
  };
}

/** `[###   ] 40% 400/1,000`, or the count alone when the total is unknown. */
function barText(done: number, total: number | undefined): string {
  const count = done.toLocaleString("en-US");
  if (!total) return count;
  const share = Math.min(1, done / total);
  const bar = "#".repeat(Math.round(share * BAR_WIDTH)).padEnd(BAR_WIDTH);
  return `[${bar}] ${Math.round(share * 100)}% ${count}/${total.toLocaleString("en-US")}`;
}
