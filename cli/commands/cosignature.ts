import { type StoredCosignature, storedCosignatureJson } from "../../ledger/cosignatures.ts";
import type { Ledger } from "../../ledger/ledger.ts";
import { type Command, stringFlag, type Values } from "../command.ts";
import { type Context, UsageError } from "../context.ts";
import { parseOptionalCount } from "../numbers.ts";
import { WITNESS_KEY_FLAG, witnessKeys } from "../trusted_keys.ts";
import { withLedger } from "../with_ledger.ts";
import { readInFile } from "../in_file.ts";

/**
 * `smem cosignature add | list`: keep witnesses' cosignatures of this ledger's checkpoints, so
 * receipts and bundles carry them (docs/FORMAT.md §5).
 */
export const cosignature: Command = {
  name: "cosignature",
  summary: "store a witness's cosignature of one of this ledger's checkpoints, or list those stored",
  operands: 2,
  usage: "smem cosignature add FILE|- --witness WKEY_FILE … [--size N]\n" +
    "       smem cosignature list [--size N]",
  verifying: true,
  flags: {
    witness: {
      ...WITNESS_KEY_FLAG,
      help: "with add: the verifier key of a witness whose cosignature FILE carries (repeatable)",
    },
    size: {
      type: "string",
      arg: "N",
      help: "with add: the checkpoint bare cosignature lines sign (a C2SP witness's answer); " +
        "with list: only that checkpoint",
    },
  },
  async run(values, args, ctx) {
    const action = args[0] ?? "list";
    const size = parseOptionalCount(stringFlag(values, "size"), "--size");
    if (action === "list") return await withLedger(ctx, (ledger) => list(ledger, size, ctx));
    if (action !== "add") {
      throw new UsageError(`give a cosignature action: add or list (got ${JSON.stringify(action)})`);
    }
    if (args.length !== 2) {
      throw new UsageError(
        "give one witness answer: a cosigned note, smem witness add-checkpoint --out, or -",
      );
    }
    return await add(values, args[1], size, ctx);
  },
};

async function add(values: Values, file: string, size: number | undefined, ctx: Context): Promise<void> {
  const witnesses = await witnessKeys(values.witness);
  const answer = await readInFile(file);
  const added = await withLedger(ctx, (ledger) => ledger.addCosignatures(answer, witnesses, size));
  ctx.result(
    {
      cosignatures: added.map((a) => ({
        size: a.size,
        witness: a.witness,
        time: a.time,
        stored: a.stored,
      })),
    },
    added.map((a) =>
      `${a.stored ? "stored" : "already held"}: ${a.witness} cosigned the checkpoint of size ${a.size} at ` +
      new Date(a.time * 1000).toISOString()
    ).join("\n") +
      `\nreceipts and bundles against it carry it: smem receipt IDX --size ${added[0].size}, ` +
      `smem export --to ${added[0].size} (--cosigned picks the newest cosigned checkpoint)`,
  );
}

function list(ledger: Ledger, size: number | undefined, ctx: Context): void {
  const stored: StoredCosignature[] = size === undefined
    ? [...ledger.allCosignatures()]
    : ledger.cosignaturesAt(size);
  ctx.result(
    {
      cosignatures: stored.map(storedCosignatureJson),
    },
    stored.length === 0
      ? "no witness cosignatures stored"
      : stored.map((c) =>
        `size ${c.size}  ${c.witness}  cosigned ${
          c.time === undefined ? "?" : new Date(c.time * 1000).toISOString()
        }`
      ).join("\n"),
  );
}
