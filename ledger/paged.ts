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

/** A statement of Deno's `node:sqlite`, which (like Node's) can return rows as arrays; its types lag. */
interface ArrayRowsStatement extends StatementSync {
  setReturnArrays(enabled: boolean): void;
}

/**
 * `statement`, set to return each row as an array of its columns in select order: ~0.8 µs a row
 * cheaper than an object with named properties (measured on Deno 2.9, 11 columns).
 */
export function returningArrays(statement: StatementSync): StatementSync {
  (statement as ArrayRowsStatement).setReturnArrays(true);
  return statement;
}
