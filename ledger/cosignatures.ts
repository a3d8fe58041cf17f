/**
 * Witnesses' cosignatures of this ledger's checkpoints (docs/FORMAT.md §5, "Witness
 * cosignatures"): the signature line a witness made (C2SP `cosignature/v1`) over a checkpoint this
 * ledger signed, stored beside that checkpoint and added to its note wherever the ledger hands it
 * out (receipts, bundles, extensions, the HTTP API), so evidence carries its witnesses with it.
 * Append-only; `verify` re-checks every line with the witness key stored beside it.
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { parseCheckpointExtension } from "../core/checkpoint_extension.ts";
import { cosignatureTime, requireCosignatures } from "../core/cosignature.ts";
import { NoteError, SecuraMemError } from "../core/errors.ts";
import type { NoteVerifier } from "../core/keys.ts";
import { type ReadNote, readNote, signatureLine, splitNote } from "../core/note.ts";
import { parseCheckpoint } from "../core/checkpoint.ts";
import { LedgerError, VerificationError } from "./errors.ts";

/** SQL of the table (schema 6). One line per witness and checkpoint; the first one kept. */
export const COSIGNATURES_TABLE_SQL = `
CREATE TABLE cosignatures (
  size        INTEGER NOT NULL,
  witness_key TEXT NOT NULL,
  line        TEXT NOT NULL,
  added_ms    INTEGER NOT NULL,
  PRIMARY KEY (size, witness_key)
) WITHOUT ROWID;`;

/** A stored cosignature. */
export interface StoredCosignature {
  /** Size of the checkpoint it cosigns. */
  readonly size: number;
  /** The witness's verifier key text (signature type 0x04). */
  readonly witnessKey: string;
  /** The witness's name (the key text's first field). */
  readonly witness: string;
  /** The signature line, ending in a newline. */
  readonly line: string;
  /** When the witness says it cosigned (POSIX seconds, from the line; none if the line is malformed). */
  readonly time: number | undefined;
  /** When this ledger stored it (milliseconds). */
  readonly addedMs: number;
}

/** What one `add` found: each witness's line, and whether it was new to the ledger. */
export interface AddedCosignature {
  readonly size: number;
  readonly witness: string;
  readonly time: number;
  readonly stored: boolean;
}

/** The `cosignatures` table. */
export class CosignatureStore {
  private readonly linesOf: StatementSync;
  private readonly insert: StatementSync;
  private readonly rowsOf: StatementSync;
  private readonly newest: StatementSync;
  private readonly newestOf: StatementSync;

  constructor(private readonly db: DatabaseSync) {
    this.linesOf = db.prepare("SELECT line FROM cosignatures WHERE size = ? ORDER BY line");
    this.insert = db.prepare(
      "INSERT OR IGNORE INTO cosignatures (size, witness_key, line, added_ms) VALUES (?, ?, ?, ?)",
    );
    this.rowsOf = db.prepare("SELECT * FROM cosignatures WHERE size = ? ORDER BY line");
    this.newest = db.prepare("SELECT MAX(size) AS size FROM cosignatures");
    this.newestOf = db.prepare("SELECT MAX(size) AS size FROM cosignatures WHERE witness_key = ?");
  }

  /** The lines cosigning the checkpoint of `size`, sorted, joined ("" when none). */
  linesAt(size: number): string {
    return (this.linesOf.all(size) as { line: string }[]).map((row) => row.line).join("");
  }

  /** Stores a line unless this witness's line for that checkpoint is already held; says which. */
  add(size: number, witnessKey: string, line: string, addedMs: number): boolean {
    return Number(this.insert.run(size, witnessKey, line, addedMs).changes) === 1;
  }

  /** The stored cosignatures of the checkpoint of `size`, sorted by line. */
  at(size: number): StoredCosignature[] {
    return (this.rowsOf.all(size) as Row[]).map(fromRow);
  }

  /** The largest checkpoint size holding a cosignature, if any. */
  newestSize(): number | undefined {
    return (this.newest.get() as { size: number | null }).size ?? undefined;
  }

  /** The largest checkpoint size the witness of `witnessKey` (its verifier key text) cosigned, if any. */
  newestSizeOf(witnessKey: string): number | undefined {
    return (this.newestOf.get(witnessKey) as { size: number | null }).size ?? undefined;
  }

  /** Every stored cosignature, by size then line, one row at a time. */
  *all(): Generator<StoredCosignature> {
    const rows = this.db.prepare("SELECT * FROM cosignatures ORDER BY size, line").iterate() as Iterable<Row>;
    for (const row of rows) yield fromRow(row);
  }
}

/** A stored cosignature as JSON (`smem cosignature list --json`, `GET /v1/cosignatures`). */
export function storedCosignatureJson(stored: StoredCosignature): {
  size: number;
  witness_key: string;
  time: number | null;
  added_ms: number;
  line: string;
} {
  return {
    size: stored.size,
    witness_key: stored.witnessKey,
    time: stored.time ?? null,
    added_ms: stored.addedMs,
    line: stored.line.trimEnd(),
  };
}

type Row = { size: number; witness_key: string; line: string; added_ms: number };

function fromRow(row: Row): StoredCosignature {
  return {
    size: row.size,
    witnessKey: row.witness_key,
    witness: row.witness_key.slice(0, row.witness_key.indexOf("+")),
    line: row.line,
    time: lineTime(row.line),
    addedMs: row.added_ms,
  };
}

/**
 * The note a witness's answer cosigns: a cosigned note as it is, the note of a checkpoint extension
 * (`smem witness add-checkpoint --out`), or bare signature lines (what a C2SP witness answers)
 * appended to the ledger's own note of `size`.
 */
export function cosignedNoteOf(
  answer: string,
  ownNoteAt: (size: number) => string | undefined,
  size?: number,
): string {
  if (answer.startsWith("old ")) return parseCheckpointExtension(answer).checkpoint;
  if (!answer.startsWith("— ")) return answer;
  if (size === undefined) {
    throw new LedgerError(
      "BAD_COSIGNATURE_INPUT",
      "bare cosignature lines need the checkpoint's size (--size)",
    );
  }
  const own = ownNoteAt(size);
  if (own === undefined) throw new LedgerError("NOT_FOUND", `no checkpoint of size ${size}`);
  return `${own}${answer.endsWith("\n") ? answer : `${answer}\n`}`;
}

/**
 * Which witnesses an answer must carry: `"all"` of those named, or those `"present"` in it (at
 * least one) — how a server trusting several witnesses takes one witness's answer at a time.
 */
export type WitnessesRequired = "all" | "present";

/**
 * Checks that `note` is the checkpoint this ledger signed at its size, word for word, and that
 * the witnesses `required` cosigned it; returns the size and each witness's line to store. A
 * witness that cosigned another checkpoint of the same size saw a different log:
 * `COSIGNED_OTHER_CHECKPOINT`.
 */
export async function checkCosignedNote(
  note: string,
  ownNoteAt: (size: number) => string | undefined,
  named: readonly NoteVerifier[],
  required: WitnessesRequired = "all",
): Promise<{ size: number; lines: { witness: NoteVerifier; line: string; time: number }[] }> {
  if (named.length === 0) throw new LedgerError("BAD_COSIGNATURE_INPUT", "name the witness (--witness)");
  const read = readNote(note);
  const witnesses = required === "all" ? named : presentWitnesses(read, named);
  const size = parseCheckpoint(read.text).size;
  const own = ownNoteAt(size);
  if (own === undefined) throw new LedgerError("NOT_FOUND", `no checkpoint of size ${size}`);
  if (splitNote(own).text !== read.text) {
    throw new VerificationError(
      "COSIGNED_OTHER_CHECKPOINT",
      `the cosigned checkpoint of size ${size} is not the one this ledger signed (the witness saw another log)`,
    );
  }
  const found = await requireCosignatures(read, witnesses);
  const lines = found.map((signature, i) => ({
    witness: witnesses[i],
    line: signatureLine(signature),
    time: cosignatureTime(signature),
  }));
  return { size, lines };
}

/** The witnesses among `named` that sign `note`; `MISSING_COSIGNATURE` when none does. */
function presentWitnesses(note: ReadNote, named: readonly NoteVerifier[]): NoteVerifier[] {
  const present = named.filter((w) => note.signatures.some((s) => s.name === w.name && s.keyId === w.keyId));
  if (present.length > 0) return present;
  throw new NoteError(
    "MISSING_COSIGNATURE",
    `no cosignature by a trusted witness (${named.map((w) => w.name).join(", ")})`,
  );
}

/**
 * Re-checks a stored cosignature against the stored note of its checkpoint; `BAD_COSIGNATURE`
 * says which and why.
 */
export async function checkStoredCosignature(
  stored: StoredCosignature,
  ownNote: string | undefined,
  witnessOf: (key: string) => Promise<NoteVerifier>,
): Promise<void> {
  const fail = (why: string) =>
    new VerificationError("BAD_COSIGNATURE", `cosignature on the checkpoint of size ${stored.size}: ${why}`, {
      leafIndex: stored.size,
    });
  if (ownNote === undefined) throw fail("the ledger holds no checkpoint of that size");
  try {
    const witness = await witnessOf(stored.witnessKey);
    await requireCosignatures(readNote(`${ownNote}${stored.line}`), [witness]);
  } catch (error) {
    if (!(error instanceof SecuraMemError) || error instanceof VerificationError) throw error;
    throw fail(error.message);
  }
}

function lineTime(line: string): number | undefined {
  const [name, base64] = line.slice(2).trimEnd().split(" ");
  try {
    return cosignatureTime({ name, keyId: 0, base64 });
  } catch (error) {
    if (error instanceof NoteError) return undefined;
    throw error;
  }
}
