/**
 * Key-ordered scans fetched a page at a time. In Deno's `node:sqlite`, `iterate()` costs several
 * microseconds per row over `all()`; paging by key keeps `all()`'s speed with bounded memory.
 * @module
 */
import type { SQLInputValue, StatementSync } from "node:sqlite";

/** Rows per page. */
export const PAGE_ROWS = 1024;

/**
 * The rows of `statement`, whose SQL selects the integer column `key`, filters `key >= ?` as its
 * first parameter, orders by `key` and ends in `LIMIT ?`; `rest` are the parameters in between.
 */
export function* pagedRows<R>(
  statement: StatementSync,
  key: keyof R,
  from: number,
  rest: readonly SQLInputValue[] = [],
): Generator<R> {
  let next = from;
  while (true) {
    const rows = statement.all(next, ...rest, PAGE_ROWS) as R[];
    yield* rows;
    if (rows.length < PAGE_ROWS) return;
    next = Number(rows[rows.length - 1][key]) + 1;
  }
}
