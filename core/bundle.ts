/**
 * Evidence bundles (`.smemctx`, SPEC §7): a range of records with what a host holding only a
 * trusted verifier key needs to check them. One line per item, UTF-8, each ending in `\n`:
 *
 *     smemctx/2 {"origin":"…","alg":"b3","from":F,"to":T,"size":N}
 *     key <verifier key text>                       the log's first key
 *     rotation <JSON string: rotation statement>    every key rotation, in order (core/rotation.ts)
 *     left <level> <base64 hash>                    complete subtrees tiling leaves [0, F), largest first
 *     rec <sealed record JSON>                      records F … T−1, in leaf order
 *     blob <leaf> <content_id> <base64 bytes>       (with --with-blobs) a payload, right after the first record naming it
 *     cp <JSON string: signed checkpoint note>      right after the record that brings the tree to its size
 *     right <level> <base64 hash>                   complete subtrees tiling leaves [T, N), left to right
 *     cp <JSON string: signed checkpoint of size N> the final checkpoint
 *     end <records> <lines>                         counts, so truncation is detected
 *
 * Deterministic: the same range of the same ledger gives the same bytes (intermediate
 * checkpoints: the first stored one at or after each multiple of 1024 records). Verification
 * streams in memory bounded by the tree height and the number of chains: every record is re-hashed
 * and chain-linked, and the tree rebuilt from `left`, the records and `right` must reach each
 * checkpoint's signed root. A changed, dropped, reordered or inserted byte therefore fails at a
 * line: the record's own hash, its chain link, strict parsing, or the first checkpoint after it.
 * Every byte is tied to what is signed: the header's fields to the checkpoints and the tree, the
 * key line to the first rotation statement or, without one, to a signature on the final checkpoint.
 * @module
 */
import type { RecordBounds } from "./canonical.ts";
import { openCheckpoint, type OpenedCheckpoint } from "./checkpoint.ts";
import { ReceiptError, relocate, SecuraMemError } from "./errors.ts";
import { bytesEqual, fromBase64Strict, toBase64, toHex } from "./encoding.ts";
import { formatHash, type HashAlg, type Hasher, isHashAlg } from "./hash.ts";
import { isPlainObject } from "./json.ts";
import { readJsonText } from "./json_reader.ts";
import { type NoteVerifier, parseVerifierKey } from "./keys.ts";
import { openNote } from "./note.ts";
import { MerkleHasher } from "./merkle_hasher.ts";
import { decompose, MerkleTree, type MerkleTree as MerkleTreeType, type NodeStore } from "./merkle_tree.ts";
import {
  ChainTracker,
  readCanonicalSealedText,
  type SealedRecord,
  sealedText,
  verifySealedRecord,
} from "./record.ts";
import { KeyChain } from "./rotation.ts";

/**
 * First word of every bundle.
 *
 * @example
 * ```ts
 * import { BUNDLE_MAGIC } from "../mod.ts";
 * BUNDLE_MAGIC; // "smemctx/2"
 * ```
 */
export const BUNDLE_MAGIC = "smemctx/2";
/** The first format, whose header carried the unsigned record bounds and whose blob lines named no leaf. */
const FIRST_MAGIC = "smemctx/1";
/**
 * Intermediate checkpoints are kept about this many records apart.
 *
 * @example
 * ```ts
 * import { BUNDLE_CHECKPOINT_SPACING } from "../mod.ts";
 * BUNDLE_CHECKPOINT_SPACING; // 1024
 * ```
 */
export const BUNDLE_CHECKPOINT_SPACING = 1024;

/** What the header line says. */
export interface BundleHeader {
  readonly origin: string;
  readonly alg: HashAlg;
  /** First leaf index in the bundle. */
  readonly from: number;
  /** One past the last leaf index in the bundle. */
  readonly to: number;
  /** Tree size of the final checkpoint (≥ to). */
  readonly size: number;
}

/** The writers of each line kind. */
export interface BundleLineWriters {
  header(h: BundleHeader): string;
  key(verifierKey: string): string;
  rotation(statement: string): string;
  left(level: number, hash: Uint8Array): string;
  record(sealedText: string): string;
  checkpoint(note: string): string;
  right(level: number, hash: Uint8Array): string;
  end(records: number, lines: number): string;
  blob(leaf: number, contentId: string, bytes: Uint8Array): string;
}

/**
 * Formats lines of a bundle.
 *
 * @example
 * ```ts
 * import { bundleLine } from "../mod.ts";
 * bundleLine.end(10, 14); // "end 10 15\n"
 * ```
 */
export const bundleLine: BundleLineWriters = {
  header(h: BundleHeader): string {
    return `${BUNDLE_MAGIC} {"origin":${
      JSON.stringify(h.origin)
    },"alg":"${h.alg}","from":${h.from},"to":${h.to},"size":${h.size}}\n`;
  },
  key(verifierKey: string): string {
    return `key ${verifierKey}\n`;
  },
  rotation(statement: string): string {
    return `rotation ${JSON.stringify(statement)}\n`;
  },
  left(level: number, hash: Uint8Array): string {
    return `left ${level} ${toBase64(hash)}\n`;
  },
  record(sealedText: string): string {
    return `rec ${sealedText}\n`;
  },
  checkpoint(note: string): string {
    return `cp ${JSON.stringify(note)}\n`;
  },
  right(level: number, hash: Uint8Array): string {
    return `right ${level} ${toBase64(hash)}\n`;
  },
  end(records: number, lines: number): string {
    return `end ${records} ${lines + 1}\n`;
  },
  blob(leaf: number, contentId: string, bytes: Uint8Array): string {
    return `blob ${leaf} ${contentId} ${toBase64(bytes)}\n`;
  },
};

/**
 * The [level, index] nodes a bundle of [from, to) needs on the right of `to`, up to `size`.
 *
 * @example
 * ```ts
 * import { rightNodes } from "../mod.ts";
 * rightNodes(5, 8); // [[0, 5], [1, 3]]: leaf 5, then leaves 6–7
 * ```
 */
export function rightNodes(to: number, size: number): [number, number][] {
  return decompose(to, size);
}

/** The outcome of a bundle verification. */
export interface BundleReport {
  readonly header: BundleHeader;
  readonly records: number;
  readonly checkpoints: number;
  readonly chains: number;
  /** Payload blobs carried and checked against their content ids. */
  readonly blobs: number;
  readonly finalCheckpoint: OpenedCheckpoint;
}

type Stage = "header" | "key" | "keys" | "left" | "records" | "right" | "final" | "done";

/**
 * Verifies a bundle fed one line at a time (without the trailing newline). Errors are
 * `BUNDLE_*`, record, chain, note or proof errors, each located by `line`.
 *
 * @example
 * ```ts
 * import { BundleVerifier, generateKeyPair, loadHasher, parseVerifierKey } from "../mod.ts";
 * const keys = await generateKeyPair("audit.example/l-1");
 * const verifier = new BundleVerifier([await parseVerifierKey(keys.verifierKey)], loadHasher);
 * // for each line of a .smemctx file: await verifier.line(text); then:
 * try {
 *   verifier.finish();
 * } catch (error) {
 *   console.log((error as { code: string }).code); // "BUNDLE_TRUNCATED": no lines were fed
 * }
 * ```
 */
export class BundleVerifier {
  private stage: Stage = "header";
  private lineNo = 0;
  private header: BundleHeader | undefined;
  private tree: MerkleTreeType | undefined;
  private tracker: ChainTracker | undefined;
  private readonly chain: KeyChain;
  /** The key line: the log's first key, bound at the first rotation or the final checkpoint. */
  private logKey: NoteVerifier | undefined;
  private rotations = 0;
  private records = 0;
  private checkpoints = 0;
  private final: OpenedCheckpoint | undefined;
  private leftNodes: [number, number][] = [];
  private rightExpected: [number, number][] = [];
  private blobs = 0;
  /** The record on the line before, when it names a payload: the only place its blob line may stand. */
  private blobSlot: { leaf: number; contentId: string } | undefined;

  /**
   * @param trusted verifier keys the reader trusts (at least the log's key).
   * @param hasherFor the hashing engine for the bundle's algorithm.
   */
  constructor(
    trusted: readonly NoteVerifier[],
    private readonly hasherFor: (alg: HashAlg) => Promise<Hasher>,
  ) {
    this.chain = new KeyChain(trusted);
  }

  /**
   * Feeds the next line. `terminated` is false for a last line that ended without its newline:
   * every line of a bundle ends in one, so such a file is truncated.
   */
  async line(text: string, terminated = true): Promise<void> {
    this.lineNo++;
    try {
      if (!terminated) {
        throw new ReceiptError("BUNDLE_TRUNCATED", "the last line has no newline: the bundle is truncated");
      }
      await this.dispatch(text);
    } catch (error) {
      throw this.locate(error);
    }
  }

  /** Ends the stream; throws `BUNDLE_TRUNCATED` when the `end` line was not reached. */
  finish(): BundleReport {
    if (this.stage !== "done" || this.header === undefined || this.final === undefined) {
      throw new ReceiptError("BUNDLE_TRUNCATED", `bundle ends at line ${this.lineNo} before its end line`, {
        line: this.lineNo,
      });
    }
    return {
      header: this.header,
      records: this.records,
      checkpoints: this.checkpoints,
      chains: this.tracker?.chainCount ?? 0,
      blobs: this.blobs,
      finalCheckpoint: this.final,
    };
  }

  private async dispatch(text: string): Promise<void> {
    const space = text.indexOf(" ");
    const tag = space < 0 ? text : text.slice(0, space);
    const rest = space < 0 ? "" : text.slice(space + 1);
    if (this.stage === "header") return await this.readHeader(tag, rest);
    if (this.stage === "key") return await this.readKey(tag, rest);
    if (this.stage === "done") throw malformed("text after the end line");
    const blobSlot = this.blobSlot;
    this.blobSlot = undefined;
    switch (tag) {
      case "key":
        throw malformed("one key line only, right after the header");
      case "rotation":
        return await this.readRotation(rest);
      case "left":
        return this.readNode("left", rest);
      case "rec":
        return this.readRecord(rest);
      case "cp":
        return await this.readCheckpoint(rest);
      case "right":
        return this.readNode("right", rest);
      case "end":
        return this.readEnd(rest);
      case "blob":
        return this.readBlob(rest, blobSlot);
    }
    throw malformed(`unknown line tag ${visibleText(tag.slice(0, 20))}`);
  }

  private async readHeader(tag: string, rest: string): Promise<void> {
    if (tag === FIRST_MAGIC) {
      throw malformed(`a ${FIRST_MAGIC} bundle: re-export it to read it as ${BUNDLE_MAGIC}`);
    }
    if (tag !== BUNDLE_MAGIC) throw malformed(`not a SecuraMem bundle (expected ${BUNDLE_MAGIC})`);
    const value = readJsonText(rest);
    if (!isPlainObject(value)) throw malformed("header must be a JSON object");
    const { origin, alg, from, to, size } = value;
    if (
      typeof origin !== "string" || typeof alg !== "string" || !isHashAlg(alg) || !isCount(from) ||
      !isCount(to) || !isCount(size) || from > to || to > size
    ) {
      throw malformed("header fields are missing or inconsistent");
    }
    this.header = { origin, alg, from, to, size };
    if (bundleLine.header(this.header) !== `${tag} ${rest}\n`) {
      throw malformed("header is not in canonical form");
    }
    const mh = new MerkleHasher(await this.hasherFor(alg));
    this.tree = new MerkleTree(mh, DISCARD, 0);
    this.tracker = new ChainTracker(alg, from > 0);
    this.leftNodes = decompose(0, from);
    this.rightExpected = rightNodes(to, size);
    this.stage = "key";
  }

  private async readKey(tag: string, text: string): Promise<void> {
    if (tag !== "key") throw malformed("the key line must follow the header");
    this.logKey = await parseVerifierKey(text);
    this.stage = "keys";
  }

  private async readRotation(text: string): Promise<void> {
    if (this.stage !== "keys") throw malformed("rotation lines must follow the key line");
    const statement = readJsonText(text);
    if (typeof statement !== "string" || JSON.stringify(statement) !== text) {
      throw malformed("rotation line must hold exactly a JSON string");
    }
    const rotation = await this.chain.rotate(statement, this.header!.origin);
    if (this.rotations++ === 0 && rotation.oldKey !== this.logKey!.text) {
      throw malformed("the first rotation is not from the key on line 2");
    }
  }

  private readNode(side: "left" | "right", text: string): void {
    const tree = this.tree!;
    if (side === "left") {
      if (this.stage === "keys") this.stage = "left";
      if (this.stage !== "left") throw malformed("left lines must precede the records");
    } else {
      if (this.stage === "left" || this.stage === "keys" || this.stage === "records") this.beginRight();
      if (this.stage !== "right") throw malformed("right lines must follow the records");
    }
    const match = /^(0|[1-9][0-9]?) ([A-Za-z0-9+/]{43}=)$/.exec(text);
    const hash = match === null ? undefined : fromBase64Strict(match[2]);
    if (match === null || hash === undefined) throw malformed(`${side} line must be '<level> <base64 hash>'`);
    const expected = side === "left" ? this.leftNodes.shift() : this.rightExpected.shift();
    if (expected === undefined || expected[0] !== Number(match[1])) {
      throw malformed(`unexpected ${side} node of level ${match[1]}`);
    }
    tree.appendSubtree(expected[0], hash);
  }

  private beginRight(): void {
    this.endLeft();
    if (this.tree!.size !== this.header!.to) {
      throw malformed(`the records end at leaf ${this.tree!.size}, the header says ${this.header!.to}`);
    }
    this.stage = "right";
  }

  private endLeft(): void {
    if (this.leftNodes.length > 0) throw malformed(`${this.leftNodes.length} left nodes are missing`);
  }

  private readRecord(text: string): void {
    if (this.stage === "keys" || this.stage === "left") {
      this.endLeft();
      this.stage = "records";
    }
    if (this.stage !== "records") throw malformed("records must come between left and right lines");
    const header = this.header!;
    const tree = this.tree!;
    if (tree.size >= header.to) {
      throw malformed(`more records than the header's range ${header.from}…${header.to - 1}`);
    }
    const leaf = tree.size;
    const sealed = readCanonicalSealedText(text, tree.hasher.hasher, UNBOUNDED, { leafIndex: leaf }) ??
      readSealedStrictly(text, tree.hasher.hasher, leaf);
    this.tracker!.accept(sealed, { leafIndex: leaf });
    tree.appendEntry(sealed.digest);
    this.records++;
    const contentId = sealed.record.subject.content_id;
    if (typeof contentId === "string") this.blobSlot = { leaf, contentId };
  }

  /** A payload: right after the record of its leaf, which names it; its bytes must hash to its id. */
  private readBlob(text: string, slot: { leaf: number; contentId: string } | undefined): void {
    const match = /^(0|[1-9][0-9]*) ((?:b3|sha256):[0-9a-f]{64}) ([A-Za-z0-9+/]*={0,2})$/.exec(text);
    const bytes = match === null ? undefined : fromBase64Strict(match[3]);
    if (match === null || bytes === undefined) {
      throw malformed("blob line must be '<leaf> <content_id> <base64>'");
    }
    if (slot === undefined || String(slot.leaf) !== match[1] || slot.contentId !== match[2]) {
      throw malformed(`blob of leaf ${match[1]} does not follow the record of that leaf naming ${match[2]}`);
    }
    const hasher = this.tree!.hasher.hasher;
    if (formatHash(hasher.alg, hasher.digest(bytes)) !== match[2]) {
      throw new ReceiptError("BLOB_MISMATCH", `blob bytes do not hash to ${match[2]}`);
    }
    this.blobs++;
  }

  /** A checkpoint is final exactly when the tree reaches the header's size (intermediate ones are below `to`). */
  private async readCheckpoint(text: string): Promise<void> {
    if (this.stage === "keys" || this.stage === "left") {
      this.endLeft();
      this.stage = "records";
    }
    if (this.stage !== "records" && this.stage !== "right") throw malformed("misplaced checkpoint line");
    const note = readJsonText(text);
    if (typeof note !== "string" || JSON.stringify(note) !== text) {
      throw malformed("cp line must hold exactly a JSON string");
    }
    const opened = await openCheckpoint(note, this.chain.verifiersFor(this.tree!.size), this.header!.origin);
    const tree = this.tree!;
    if (opened.checkpoint.size !== tree.size) {
      throw malformed(
        `checkpoint of size ${opened.checkpoint.size} stands where the tree has ${tree.size} leaves`,
      );
    }
    const root = tree.root();
    if (!bytesEqual(root, opened.checkpoint.root)) {
      throw new ReceiptError(
        "ROOT_MISMATCH",
        `the bundle's data gives root ${toHex(root)} at size ${tree.size}; the signed checkpoint says ${
          toHex(opened.checkpoint.root)
        } (a line before this one was altered)`,
      );
    }
    this.checkpoints++;
    if (tree.size === this.header!.size) {
      if (this.rightExpected.length > 0) {
        throw malformed(`${this.rightExpected.length} right nodes are missing`);
      }
      if (this.rotations === 0) await this.checkLogKeySigned(note);
      this.final = opened;
      this.stage = "final";
    }
  }

  /** Without rotations, the log's first key signed every checkpoint: the key line must have signed the final one. */
  private async checkLogKeySigned(note: string): Promise<void> {
    try {
      await openNote(note, [this.logKey!]);
    } catch {
      throw malformed("the key on line 2 did not sign the final checkpoint");
    }
  }

  private readEnd(text: string): void {
    if (this.stage !== "final") throw malformed("the end line must follow the final checkpoint");
    if (text !== `${this.records} ${this.lineNo}`) {
      throw malformed(
        `end line says '${text}', the bundle holds ${this.records} records in ${this.lineNo} lines`,
      );
    }
    this.stage = "done";
  }

  private locate(error: unknown): unknown {
    return error instanceof SecuraMemError ? relocate(error, { line: this.lineNo }) : error;
  }
}

/**
 * Record bounds are the ledger's admission rule, not carried in a bundle (nothing signed would
 * cover them); a bundle's records are held to their hashes and signatures instead.
 */
const UNBOUNDED: RecordBounds = {
  maxRecordBytes: Number.MAX_SAFE_INTEGER,
  maxAttrsBytes: Number.MAX_SAFE_INTEGER,
};

/** A node store that keeps nothing: a verifier only needs the frontier. */
const DISCARD: NodeStore = {
  get: () => undefined,
  put: () => {},
};

/** The record line `text` read by the strict reader: throws what is wrong with it. */
function readSealedStrictly(text: string, hasher: Hasher, leafIndex: number): SealedRecord {
  const sealed = verifySealedRecord(readJsonText(text), hasher, UNBOUNDED, { leafIndex });
  if (sealedText(sealed) !== text) throw malformed("record line is not the canonical sealed record");
  return sealed;
}

/** `text` quoted, anything outside printable ASCII escaped: a byte-order mark or a control shows. */
function visibleText(text: string): string {
  return JSON.stringify(text).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function malformed(message: string): ReceiptError {
  return new ReceiptError("BUNDLE_MALFORMED", `bundle: ${message}`);
}
