/** A log and a witness for tests, and a forking log's checkpoint. */
import { signCheckpoint } from "../core/checkpoint.ts";
import { type NoteVerifier, parseSignerKey, parseVerifierKey } from "../core/keys.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { Witness } from "../ledger/witness.ts";
import { agentDraft, removeLedger, tempLedger } from "./_ledger.ts";

/** A ledger, a witness, the log's keys; `grow(n)` appends n records and checkpoints; `cleanup` removes both. */
export interface LogAndWitness {
  readonly log: Ledger;
  readonly witness: Witness;
  readonly logKeys: NoteVerifier[];
  readonly grow: (n: number) => Promise<number>;
  readonly cleanup: () => Promise<void>;
}

/** A ledger named log.example, a witness in a directory of its own, and `grow(n)`: n appends and a checkpoint. */
export async function logAndWitness(alg: "b3" | "sha256" = "b3"): Promise<LogAndWitness> {
  const log = await tempLedger({ alg, name: "log.example" });
  const dir = await Deno.makeTempDir({ prefix: "smem-witness-" });
  const witness = await Witness.create(dir, "witness.example/w1");
  const logKeys = [await parseVerifierKey(log.verifierKey!)];
  const grow = async (n: number) => {
    for (let i = 0; i < n; i++) await log.append(agentDraft(log.size));
    return (await log.checkpoint()).checkpoint.size;
  };
  const cleanup = async () => {
    await removeLedger(log);
    await Deno.remove(dir, { recursive: true });
  };
  return { log, witness, logKeys, grow, cleanup };
}

/** A checkpoint of `size` leaves of another tree, signed with `log`'s own key: what a forking log would sign. */
export async function impostorCheckpoint(
  impostor: Ledger,
  log: Ledger,
  size: number,
): Promise<{ note: string }> {
  for (let i = 0; i < size; i++) await impostor.append(agentDraft(i, { attrs: { forked: i } }));
  const { signer } = await parseSignerKey(Deno.readTextFileSync(log.paths.signerKey).trim());
  const root = impostor.rootAt(size);
  return { note: await signCheckpoint({ origin: log.meta.origin, size, root, extensions: [] }, [signer]) };
}
