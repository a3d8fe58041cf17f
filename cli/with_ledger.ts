/**
 * Opens the command's ledger for the length of one action and always closes it.
 * @module
 */
import { Ledger, type OpenLedgerOptions } from "../ledger/ledger.ts";
import type { Context } from "./context.ts";

/** Runs `action` with the ledger in `ctx.dir`. */
export async function withLedger<T>(
  ctx: Context,
  action: (ledger: Ledger) => Promise<T> | T,
  options: OpenLedgerOptions = {},
): Promise<T> {
  const ledger = await Ledger.open(ctx.dir, options);
  try {
    return await action(ledger);
  } finally {
    ledger.close();
  }
}
