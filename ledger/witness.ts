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
   * and cosigns it. `alg` is the log's hash; without it the proof is tried under each.
   */
  async addCheckpoint(
    request: string,
    logKeys: LogKeys,
    alg?: HashAlg,
  ): Promise<WitnessResult> {
    const extension = parseCheckpointExtension(request);
    const origin = checkpointOfNote(extension.checkpoint).origin;
    const statePath = await this.statePath(origin);
    return await withLock(`${statePath.slice(0, -".note".length)}.lock`, async () => {
      const heldBytes = readSecretBytes(statePath);
      const held = heldBytes === undefined ? undefined : new TextDecoder().decode(heldBytes);
      const checked = held === undefined
        ? await this.firstCheckpoint(extension, logKeys)
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

  /** A log new to this witness: the request must start from size 0 and carry no proof. */
  private async firstCheckpoint(
    extension: CheckpointExtension,
    logKeys: LogKeys,
  ): Promise<Checked> {
    if (extension.oldSize !== 0 || extension.proof.length > 0) {
      throw new LedgerError(
        "CONFLICT",
        `this witness holds no checkpoint of this log: send the extension from size 0 (old 0, no proof)`,
      );
    }
    const size = checkpointOfNote(extension.checkpoint).size;
    await openCheckpoint(extension.checkpoint, verifiersAt(logKeys, size));
    return { oldSize: 0, size, alg: null };
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
      throw new LedgerError(
        "CONFLICT",
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
