/**
 * `--cosigned`: evidence against the newest checkpoint a witness cosigned (receipt, export).
 * @module
 */
import type { Ledger } from "../ledger/ledger.ts";
import type { Flag } from "./command.ts";
import { UsageError } from "./context.ts";

/** The `--cosigned` flag. */
export const COSIGNED_FLAG: Flag = {
  type: "boolean",
  help: "against the newest checkpoint a witness cosigned (smem cosignature add), so it carries the witness",
};

/**
 * The size `--cosigned` chooses: the newest cosigned checkpoint's, which must hold `leaves` leaves
 * (`Ledger.cosignedSizeReaching`). `explicit` is a size the user gave as well (`--size`, `--to`):
 * a usage error.
 */
export function cosignedSize(
  ledger: Ledger,
  leaves: number,
  explicit: number | undefined,
  flag: string,
): number {
  if (explicit !== undefined) throw new UsageError(`give ${flag} or --cosigned, not both`);
  return ledger.cosignedSizeReaching(leaves);
}
