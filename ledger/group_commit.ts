/**
 * Group commit: batches submitted while a commit is under way wait, then share the next
 * transaction, fsync and checkpoint. Each batch stays all-or-none: a draft the ledger refuses
 * fails its own batch only, and the other batches are committed without it.
 * @module
 */
import { setImmediate } from "node:timers";
import { relocate, SecuraMemError } from "../core/errors.ts";
import type { RecordDraft } from "../core/record.ts";

/** Most drafts one group commit takes (a larger batch still goes whole, alone). */
export const MAX_GROUP = 1000;

interface PendingBatch<R> {
  readonly drafts: readonly RecordDraft[];
  readonly resolve: (results: R[]) => void;
  readonly reject: (error: unknown) => void;
}

/** Queues batches and commits them together through `commit`. */
export class GroupCommitQueue<R> {
  private readonly pending: PendingBatch<R>[] = [];
  private draining = false;

  /**
   * `commit` appends drafts in one transaction, all or none; its errors name the failing `item`.
   * `onIdle` runs a turn of the event loop after the queue empties, unless work arrived meanwhile.
   */
  constructor(
    private readonly commit: (drafts: readonly RecordDraft[]) => Promise<R[]>,
    private readonly onIdle?: () => void,
  ) {}

  /** Commits `drafts` all or none, in a transaction shared with concurrent submissions. */
  submit(drafts: readonly RecordDraft[]): Promise<R[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ drafts, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      // A commit runs synchronously once under way, so requests that arrived meanwhile are still
      // in the I/O queue: one turn of the event loop lets them join this group.
      await new Promise((resolve) => setImmediate(resolve));
      const group = this.takeGroup();
      const drafts = group.flatMap((batch) => batch.drafts);
      try {
        const results = await this.commit(drafts);
        let offset = 0;
        for (const batch of group) {
          batch.resolve(results.slice(offset, offset + batch.drafts.length));
          offset += batch.drafts.length;
        }
      } catch (error) {
        this.refuse(group, error);
      }
    }
    this.draining = false;
    this.scheduleIdle();
  }

  /** Runs `onIdle` a turn of the event loop from now if nothing is queued or committing then. */
  scheduleIdle(): void {
    if (this.onIdle === undefined) return;
    setImmediate(() => {
      if (!this.draining && this.pending.length === 0) this.onIdle?.();
    });
  }

  /** The longest run of batches from the front holding at most MAX_GROUP drafts (at least one). */
  private takeGroup(): PendingBatch<R>[] {
    let count = this.pending[0].drafts.length;
    let take = 1;
    while (take < this.pending.length && count + this.pending[take].drafts.length <= MAX_GROUP) {
      count += this.pending[take].drafts.length;
      take++;
    }
    return this.pending.splice(0, take);
  }

  /** Fails the batch holding the refused draft and requeues the others at the front. */
  private refuse(group: PendingBatch<R>[], error: unknown): void {
    const item = error instanceof SecuraMemError ? error.where.item : undefined;
    const culprit = item === undefined && group.length === 1 ? 0 : batchOf(group, item);
    if (culprit === undefined) {
      // Not a draft's fault (I/O, lock): every batch gets the error.
      for (const batch of group) batch.reject(error);
      return;
    }
    const batch = group[culprit];
    batch.reject(
      error instanceof SecuraMemError ? relocate(error, { item: itemWithin(group, culprit, item) }) : error,
    );
    this.pending.unshift(...group.slice(0, culprit), ...group.slice(culprit + 1));
  }
}

/** Which batch of `group` holds draft `item` of the concatenation. */
function batchOf<R>(group: PendingBatch<R>[], item: number | undefined): number | undefined {
  if (item === undefined) return undefined;
  let offset = 0;
  for (let i = 0; i < group.length; i++) {
    offset += group[i].drafts.length;
    if (item < offset) return i;
  }
  return undefined;
}

/** The position of `item` within its own batch; undefined for a batch of one draft. */
function itemWithin<R>(
  group: PendingBatch<R>[],
  culprit: number,
  item: number | undefined,
): number | undefined {
  if (item === undefined || group[culprit].drafts.length === 1) return undefined;
  const before = group.slice(0, culprit).reduce((sum, batch) => sum + batch.drafts.length, 0);
  return item - before;
}
