/**
 * Writes an evidence bundle (`.smemctx`, core/bundle.ts) of a record range, streaming: memory
 * stays bounded whatever the range.
 * @module
 */
import { BUNDLE_CHECKPOINT_SPACING, bundleLine, rightNodes } from "../core/bundle.ts";
import { decompose } from "../core/merkle_tree.ts";
import { sealedText } from "../core/record.ts";
import { LedgerError } from "./errors.ts";
import type { Ledger } from "./ledger.ts";

/** The range of an export. */
export interface ExportRange {
  /** First leaf index. @default 0 */
  readonly from?: number;
  /** One past the last leaf index. @default the newest checkpoint's size */
  readonly to?: number;
  /** Carry the payload blobs the records name (erased ones cannot be carried). @default false */
  readonly withBlobs?: boolean;
}

/** What was written. */
export interface ExportSummary {
  readonly from: number;
  readonly to: number;
  readonly size: number;
  readonly records: number;
  readonly blobs: number;
  readonly lines: number;
  readonly bytes: number;
}

/** Writes the bundle of `range` through `write` (called with chunks of whole lines). */
export async function exportBundle(
  ledger: Ledger,
  write: (chunk: Uint8Array) => Promise<void>,
  range: ExportRange = {},
  onProgress?: (done: number, total: number) => void,
): Promise<ExportSummary> {
  const newest = ledger.latestCheckpoint().checkpoint.size;
  const from = range.from ?? 0;
  const to = range.to ?? newest;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to || to > ledger.size) {
    throw new LedgerError("BAD_RANGE", `range ${from}…${to} is outside the log (0…${ledger.size})`);
  }
  const size = ledger.nextCheckpointSize(to);
  if (size === undefined) throw new LedgerError("BAD_RANGE", `no checkpoint covers leaf ${to - 1} yet`);
  const writer = new ChunkWriter(write);
  await writer.line(
    bundleLine.header({
      origin: ledger.meta.origin,
      alg: ledger.meta.alg,
      from,
      to,
      size,
    }),
  );
  await writer.line(bundleLine.key(ledger.verifierKeys()[0]));
  for (const statement of ledger.rotations(size)) await writer.line(bundleLine.rotation(statement));
  for (const [level, index] of decompose(0, from)) {
    await writer.line(bundleLine.left(level, ledger.nodeHash(level, index)));
  }
  let next = intermediateFrom(ledger, from + 1, to);
  let records = 0;
  let blobs = 0;
  const carried = new Set<string>();
  for (const record of ledger.records(from, to)) {
    await writer.line(bundleLine.record(sealedText(record)));
    records++;
    const contentId = range.withBlobs === true ? contentIdOf(record.text) : undefined;
    const info = contentId === undefined || carried.has(contentId) ? undefined : ledger.blobInfo(contentId);
    if (contentId !== undefined && info !== undefined && info.erased === undefined) {
      await writer.line(bundleLine.blob(record.index, contentId, ledger.getBlob(contentId)));
      carried.add(contentId);
      blobs++;
    }
    if (record.index + 1 === next) {
      await writer.line(bundleLine.checkpoint(ledger.checkpointAt(next)!.note));
      next = intermediateFrom(
        ledger,
        (Math.floor(next / BUNDLE_CHECKPOINT_SPACING) + 1) * BUNDLE_CHECKPOINT_SPACING,
        to,
      );
    }
    if (records % 4096 === 0) onProgress?.(records, to - from);
  }
  for (const [level, index] of rightNodes(to, size)) {
    await writer.line(bundleLine.right(level, ledger.nodeHash(level, index)));
  }
  await writer.line(bundleLine.checkpoint(ledger.checkpointAt(size)!.note));
  await writer.line(bundleLine.end(records, writer.lines));
  await writer.flush();
  onProgress?.(records, to - from);
  return { from, to, size, records, blobs, lines: writer.lines, bytes: writer.bytes };
}

function contentIdOf(recordText: string): string | undefined {
  const contentId = (JSON.parse(recordText) as { subject: { content_id?: unknown } }).subject.content_id;
  return typeof contentId === "string" ? contentId : undefined;
}

/**
 * The next intermediate checkpoint: the first stored size ≥ `atLeast` and below `to`. The first is
 * asked from the range start, each next one from the multiple of the spacing after the last.
 */
function intermediateFrom(ledger: Ledger, atLeast: number, to: number): number | undefined {
  const size = ledger.nextCheckpointSize(atLeast);
  return size !== undefined && size < to ? size : undefined;
}

/** Batches lines into ~64 KiB writes. */
class ChunkWriter {
  lines = 0;
  bytes = 0;
  private pending: string[] = [];
  private pendingLength = 0;
  private readonly encoder = new TextEncoder();

  constructor(private readonly write: (chunk: Uint8Array) => Promise<void>) {}

  async line(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingLength += text.length;
    this.lines++;
    if (this.pendingLength >= 65_536) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.encoder.encode(this.pending.join(""));
    this.pending = [];
    this.pendingLength = 0;
    this.bytes += chunk.length;
    await this.write(chunk);
  }
}
