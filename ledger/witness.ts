/**
 * A witness, offline (C2SP tlog-witness semantics, C2SP tlog-cosignature signatures): for each log
 * it keeps the newest checkpoint it cosigned; given a checkpoint extension (the body of an
 * `add-checkpoint` request) it checks the log's signature and that the new checkpoint extends the
 * one it holds, then cosigns it (`cosignature/v1`) and holds it instead. A request from another
 * size than the one held is `CONFLICT`, naming the size held (tlog-witness answers 409 with it).
 *
 * The directory holds `witness.key` (the cosigner key, 0600, plain or encrypted as `signer.key`
 * may be), `witness.pub` (its verifier key) and `witness/<id>.note`, the checkpoint held for the
 * log whose origin hashes to `<id>`, replaced whole under a lock on `witness/<id>.lock`.
 * @module
 */
import {
  type CheckpointExtension,
  formatCheckpointExtension,
  parseCheckpointExtension,
} from "../core/checkpoint_extension.ts";
import { checkpointOfNote, openCheckpoint } from "../core/checkpoint.ts";
import { generateCosignerKey, parseCosignerKey } from "../core/cosignature.ts";
import { fromUtf8 } from "../core/encoding.ts";
import { type ErrorLocation, ProofError } from "../core/errors.ts";
import type { HashAlg } from "../core/hash.ts";
import type { NoteSigner } from "../core/keys.ts";
import { cosignNote } from "../core/note.ts";
import { type LogKeys, verifiersAt } from "../core/rotation.ts";
import { LedgerError } from "./errors.ts";
import { verifyExtensionUnderAlg } from "./extension_alg.ts";
import {
  ensureDir,
  exists,
  ioError,
  readSecretBytes,
  readSecretFile,
  replaceFile,
  writeSecretFile,
} from "./files.ts";
import {
  type KeyEncryption,
  type Passphrase,
  readKeyFileText,
  signerKeyFileText,
} from "./signer_key_file.ts";

/** The cosigner key file of a witness directory. */
export const WITNESS_KEY_FILE = "witness.key";
const PUBLIC_FILE = "witness.pub";
const STATE_DIR = "witness";

/** What one cosigned request gave. */
export interface WitnessResult {
  readonly origin: string;
  /** Size of the checkpoint held before (0 when the log was new to this witness). */
  readonly oldSize: number;
  readonly size: number;
  /** The algorithm the consistency proof held under; `null` when it hashed nothing. */
  readonly alg: HashAlg | null;
  /** The cosignature line (`— <witness> …\n`): what a tlog-witness answers. */
  readonly cosignature: string;
  /** The checkpoint with the cosignature added. */
  readonly note: string;
  /** The request with the cosigned checkpoint in it: what a monitor checks with `verify-checkpoint --witness`. */
  readonly extension: string;
}

/** What checking a request established: the sizes and the hash the proof held under. */
type Checked = Pick<WitnessResult, "oldSize" | "size" | "alg">;

/** A witness directory, opened with its cosigner key. */
export class Witness {
  private constructor(
    readonly dir: string,
    private readonly cosigner: NoteSigner,
    readonly verifierKey: string,
  ) {}

  /** Makes a witness directory with a new cosigner key named `name`; refuses an existing one. */
  static async create(dir: string, name: string, encryption?: KeyEncryption): Promise<Witness> {
    ensureDir(dir);
    if (exists(`${dir}/${WITNESS_KEY_FILE}`)) {
      throw new LedgerError(
        "LEDGER_EXISTS",
        `${dir}/${WITNESS_KEY_FILE} already exists; refusing to overwrite a key`,
      );
    }
    const keys = await generateCosignerKey(name);
    writeSecretFile(`${dir}/${WITNESS_KEY_FILE}`, await signerKeyFileText(keys.signerKey, encryption));
    writeSecretFile(`${dir}/${PUBLIC_FILE}`, keys.verifierKey);
    ensureDir(`${dir}/${STATE_DIR}`);
    return await Witness.open(dir, encryption?.passphrase);
  }

  /** Opens a witness directory (its key decrypted with `passphrase` when encrypted). */
  static async open(dir: string, passphrase?: Passphrase, now?: () => number): Promise<Witness> {
    const file = await readKeyFileText(`${dir}/${WITNESS_KEY_FILE}`, passphrase);
    if (file.kind === "missing") {
      throw new LedgerError("NOT_A_LEDGER", `no witness in ${dir} (run witness init)`);
    }
    if (file.kind === "locked") {
      throw new LedgerError(
        "KEY_LOCKED",
        `${dir}/${WITNESS_KEY_FILE} is encrypted and no passphrase was given`,
      );
    }
    const { cosigner, verifierKey } = await parseCosignerKey(file.text, now);
    return new Witness(dir, cosigner, verifierKey);
  }

  /** The verifier key of the witness in `dir`, read without its secret key. */
  static verifierKeyOf(dir: string): string {
    const key = readSecretFile(`${dir}/${PUBLIC_FILE}`);
    if (key === undefined) throw new LedgerError("NOT_A_LEDGER", `no witness in ${dir} (run witness init)`);
    return key;
  }

  /**
   * Checks an add-checkpoint request (a checkpoint extension) from a log trusted under `logKeys`
   * and cosigns it. `alg` is the log's hash; without it the proof is tried under each. The checks
   * run in the order C2SP tlog-witness states them, so each refusal is the one a witness gives:
   * the log's signature (`UNVERIFIED_NOTE`, `BAD_SIGNATURE`), `old` no larger than the checkpoint
   * (`SIZE_OUT_OF_RANGE`), `old` the size held (`WitnessConflictError`), then the proof.
   */
  addCheckpoint(request: string, logKeys: LogKeys, alg?: HashAlg): Promise<WitnessResult> {
    return this.addExtension(parseCheckpointExtension(request), logKeys, alg);
  }

  /** `addCheckpoint` of a request already parsed (a server parses it first to route it). */
  async addExtension(
    extension: CheckpointExtension,
    logKeys: LogKeys,
    alg?: HashAlg,
  ): Promise<WitnessResult> {
    const { origin, size } = checkpointOfNote(extension.checkpoint);
    await openCheckpoint(extension.checkpoint, verifiersAt(logKeys, size));
    if (extension.oldSize > size) {
      throw new ProofError(
        "SIZE_OUT_OF_RANGE",
        `the request starts at size ${extension.oldSize}, beyond the checkpoint's size ${size}`,
      );
    }
    const statePath = await this.statePath(origin);
    return await withLock(`${statePath.slice(0, -".note".length)}.lock`, async () => {
      const held = this.held(statePath);
      const checked = held === undefined
        ? firstCheckpoint(extension, size)
        : await this.extension(held, extension, logKeys, alg);
      const note = await cosignNote(extension.checkpoint, [this.cosigner]);
      if (held === undefined || checked.size > checked.oldSize) replaceFile(statePath, note, 0o600);
      return {
        origin,
        ...checked,
        cosignature: note.slice(note.lastIndexOf("\n", note.length - 2) + 1),
        note,
        extension: formatCheckpointExtension({ ...extension, checkpoint: note }),
      };
    });
  }

  /** The size of the newest checkpoint of `origin` this witness cosigned; 0 when none. */
  async heldSize(origin: string): Promise<number> {
    const held = this.held(await this.statePath(origin));
    return held === undefined ? 0 : checkpointOfNote(held).size;
  }

  private held(statePath: string): string | undefined {
    const bytes = readSecretBytes(statePath);
    return bytes === undefined ? undefined : fromUtf8(bytes);
  }

  /** A log seen before: the request must extend the checkpoint held. */
  private async extension(
    held: string,
    extension: CheckpointExtension,
    logKeys: LogKeys,
    alg: HashAlg | undefined,
  ): Promise<Checked> {
    const heldSize = checkpointOfNote(held).size;
    if (extension.oldSize !== heldSize) {
      throw new WitnessConflictError(
        heldSize,
        `this witness holds size ${heldSize} of this log; send the extension from size ${heldSize}`,
      );
    }
    const { verified, usedAlg } = await verifyExtensionUnderAlg(held, extension, logKeys, alg);
    const size = verified.current.checkpoint.size;
    return { oldSize: heldSize, size, alg: size === heldSize ? alg ?? null : usedAlg };
  }

  private async statePath(origin: string): Promise<string> {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(origin)));
    ensureDir(`${this.dir}/${STATE_DIR}`);
    return `${this.dir}/${STATE_DIR}/${digest.subarray(0, 16).toHex()}.note`;
  }
}

/**
 * A request whose `old` is not the size this witness holds for the log (0 for a log it never
 * cosigned): code `CONFLICT`, with the size held, which a tlog-witness answers 409 with.
 */
export class WitnessConflictError extends LedgerError {
  constructor(readonly heldSize: number, message: string, where: ErrorLocation = {}) {
    super("CONFLICT", message, where);
  }

  override withLocation(where: ErrorLocation): this {
    return new WitnessConflictError(this.heldSize, this.detail, where) as this;
  }
}

/** A log new to this witness: the request must start from size 0, and a proof from 0 is empty. */
function firstCheckpoint(extension: CheckpointExtension, size: number): Checked {
  if (extension.oldSize !== 0) {
    throw new WitnessConflictError(
      0,
      "this witness holds no checkpoint of this log: send the extension from size 0 (old 0, no proof)",
    );
  }
  if (extension.proof.length > 0) {
    throw new ProofError("PROOF_TOO_LONG", "a consistency proof from size 0 must be empty");
  }
  return { oldSize: 0, size, alg: null };
}

/** Runs `action` holding an exclusive lock on `path` (made if absent), so concurrent requests take turns. */
async function withLock<T>(path: string, action: () => Promise<T>): Promise<T> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, create: true, mode: 0o600 });
    await file.lock(true);
  } catch (error) {
    throw ioError(error, path);
  }
  try {
    return await action();
  } finally {
    file.close();
  }
}
