/**
 * Seal outcomes as they cross the worker boundary: one flat array of strings and numbers, and one
 * buffer of every record's bytes and digest that the reply transfers. Structured clone of the
 * outcomes as objects (a dozen named fields each, the index columns nested) cost ~4.8 µs an
 * outcome, serializing and deserializing, against ~0.9 µs for the same values flat.
 * @module
 */
import { DIGEST_BYTES } from "../core/hash.ts";
import type { SealOutcome } from "./chain_sealer.ts";

type Field = string | number | null;

/** A chunk's outcomes, packed. */
export interface PackedOutcomes {
  /** Per outcome: `REPLAY, writerId, stream, seq`, or `SEALED`, the byte length, then SEALED_FIELDS more. */
  readonly fields: readonly Field[];
  /** The sealed records' bytes, each followed by its digest, in order. */
  readonly bytes: ArrayBuffer;
}

const SEALED = 0;
const REPLAY = 1;
/** After `SEALED` and the byte length: selfHash, the seven index columns, subjectKey. */
const SEALED_FIELDS = 9;

/** Packs `outcomes`; the caller transfers `bytes`. */
export function packOutcomes(outcomes: readonly SealOutcome[]): PackedOutcomes {
  let total = 0;
  for (const outcome of outcomes) if (!outcome.replay) total += outcome.bytes.length + DIGEST_BYTES;
  const bytes = new Uint8Array(total);
  const fields: Field[] = [];
  let at = 0;
  for (const outcome of outcomes) {
    if (outcome.replay) {
      fields.push(REPLAY, outcome.writerId, outcome.stream, outcome.seq);
      continue;
    }
    const { columns } = outcome;
    fields.push(
      SEALED,
      outcome.bytes.length,
      outcome.selfHash,
      columns.writer_id,
      columns.stream,
      columns.seq,
    );
    fields.push(columns.ts_ms, columns.kind, columns.actor_key, columns.subject_tag, outcome.subjectKey);
    bytes.set(outcome.bytes, at);
    bytes.set(outcome.digest, at + outcome.bytes.length);
    at += outcome.bytes.length + DIGEST_BYTES;
  }
  return { fields, bytes: bytes.buffer };
}

/** The outcomes `packOutcomes` packed; bytes and digests are views of the packed buffer. */
export function unpackOutcomes(packed: PackedOutcomes): SealOutcome[] {
  const { fields } = packed;
  const bytes = new Uint8Array(packed.bytes);
  const outcomes: SealOutcome[] = [];
  let at = 0;
  for (let i = 0; i < fields.length;) {
    if (fields[i] === REPLAY) {
      outcomes.push({
        replay: true,
        writerId: fields[i + 1] as string,
        stream: fields[i + 2] as string,
        seq: fields[i + 3] as number,
      });
      i += 4;
      continue;
    }
    const length = fields[i + 1] as number;
    outcomes.push({
      replay: false,
      bytes: bytes.subarray(at, at + length),
      digest: bytes.subarray(at + length, at + length + DIGEST_BYTES),
      selfHash: fields[i + 2] as string,
      columns: {
        writer_id: fields[i + 3] as string,
        stream: fields[i + 4] as string,
        seq: fields[i + 5] as number,
        ts_ms: fields[i + 6] as number,
        kind: fields[i + 7] as string,
        actor_key: fields[i + 8] as string | null,
        subject_tag: fields[i + 9] as number | null,
      },
      subjectKey: fields[i + 10] as string | null,
    });
    at += length + DIGEST_BYTES;
    i += 2 + SEALED_FIELDS;
  }
  return outcomes;
}
