/**
 * Sealing drafts in order against their chains' heads: the part of an append that needs no
 * database. It runs in line, or in the seal worker (ledger/seal_worker.ts) while the main thread
 * stores what the worker sealed before.
 * @module
 */
import type { RecordBounds } from "../core/canonical.ts";
import type { Hasher } from "../core/hash.ts";
import {
  type ChainHead,
  chainKeyOf,
  type DraftDefaults,
  draftSeq,
  type RecordDraft,
  sealRecord,
} from "../core/record.ts";
import { type IndexColumns, indexColumns, subjectKey } from "./columns.ts";

/** A draft sealed as the next record of its chain, with what storing it needs. */
export interface SealedDraft {
  readonly replay: false;
  /** Canonical UTF-8 bytes (the stored body). */
  readonly bytes: Uint8Array;
  /** Raw digest of `bytes`: the Merkle leaf entry. */
  readonly digest: Uint8Array;
  readonly selfHash: string;
  readonly columns: IndexColumns;
  /** The subject key for the per-block filters, if the record has one. */
  readonly subjectKey: string | null;
}

/** A draft naming a seq below its chain's head: an idempotent retry, checked against the stored record. */
export interface ReplayDraft {
  readonly replay: true;
  readonly writerId: string;
  readonly stream: string;
  readonly seq: number;
}

/** What sealing one draft gives. */
export type SealOutcome = SealedDraft | ReplayDraft;

/** What every draft of a batch is sealed with. */
export interface SealContext {
  readonly defaults: DraftDefaults;
  readonly bounds: RecordBounds;
}

/** The key of a chain in head maps. */
export function chainKey(writerId: string, stream: string): string {
  return `${stream}\n${writerId}`;
}

/** The writer and stream of a `chainKey`. */
export function splitChainKey(key: string): { writerId: string; stream: string } {
  const newline = key.indexOf("\n");
  return { stream: key.slice(0, newline), writerId: key.slice(newline + 1) };
}

/** The distinct chains `drafts` name, by `chainKey`; `undefined` when a draft names none validly. */
export function chainsOf(
  drafts: readonly RecordDraft[],
  defaults: DraftDefaults,
): Map<string, { writerId: string; stream: string }> | undefined {
  const chains = new Map<string, { writerId: string; stream: string }>();
  for (const draft of drafts) {
    try {
      const chain = chainKeyOf(draft, defaults);
      chains.set(chainKey(chain.writerId, chain.stream), chain);
    } catch {
      return undefined;
    }
  }
  return chains;
}

/** Seals drafts one after another, each chain continuing from the record sealed before it. */
export class ChainSealer {
  /**
   * @param heads chain heads after the drafts sealed so far, by `chainKey`; updated by `seal`.
   * @param readHead the stored head of a chain not yet in `heads`.
   */
  constructor(
    private readonly context: SealContext,
    private readonly hasher: Hasher,
    readonly heads: Map<string, ChainHead>,
    private readonly readHead: (writerId: string, stream: string) => ChainHead,
  ) {}

  /** Seals `draft` as its chain's next record; throws the draft's typed error. */
  seal(draft: RecordDraft): SealOutcome {
    const { defaults, bounds } = this.context;
    const { writerId, stream } = chainKeyOf(draft, defaults);
    const key = chainKey(writerId, stream);
    const head = this.heads.get(key) ?? this.readHead(writerId, stream);
    const seq = draftSeq(draft);
    if (seq !== undefined && seq < head.nextSeq) return { replay: true, writerId, stream, seq };
    const sealed = sealRecord(draft, head, defaults, this.hasher, bounds);
    this.heads.set(key, { prev: sealed.selfHash, nextSeq: sealed.record.seq + 1 });
    const subject = subjectKey(sealed.record.subject);
    return {
      replay: false,
      bytes: sealed.bytes,
      digest: sealed.digest,
      selfHash: sealed.selfHash,
      columns: indexColumns(sealed.record, subject),
      subjectKey: subject,
    };
  }
}
