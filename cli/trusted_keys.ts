/**
 * The verifier keys a user trusts, from `--key FILE` flags: what the offline verifiers start from.
 * @module
 */
import { parseCosignerVerifierKey } from "../core/cosignature.ts";
import { type NoteVerifier, parseVerifierKey } from "../core/keys.ts";
import { KeyError, NoteError } from "../core/errors.ts";
import { KeyChain } from "../core/rotation.ts";
import type { Flag } from "./command.ts";
import { UsageError } from "./context.ts";

/** The repeatable `--key FILE` flag. */
export const TRUSTED_KEY_FLAG: Flag = {
  type: "string",
  arg: "FILE",
  help: "file holding a trusted verifier key, optionally followed by its rotation chain (repeatable)",
  multiple: true,
};

/**
 * The trusted keys named by repeated --key flags. A key file holds a verifier key, optionally
 * followed by `rotation <JSON statement>` lines (what `smem keys export --chain` writes), which
 * are checked from that key on.
 */
export async function trustedKeys(flag: unknown): Promise<{ first: NoteVerifier[]; chain: KeyChain }> {
  const files = flagFiles(flag);
  if (files.length === 0) throw new UsageError("give the trusted verifier key with --key FILE");
  const first: NoteVerifier[] = [];
  const rotations: string[] = [];
  for (const file of files) {
    const [key, ...rest] = (await Deno.readTextFile(file)).split("\n").filter((line) => line.trim() !== "");
    if (key === undefined) throw new KeyError("BAD_KEY", `${file} holds no verifier key`);
    first.push(await parseVerifierKey(key.trim()));
    for (const line of rest) {
      if (!line.startsWith("rotation ")) {
        throw new UsageError(`${file}: expected 'rotation <statement>' lines after the key`);
      }
      rotations.push(rotationStatement(line.slice("rotation ".length), file));
    }
  }
  const chain = new KeyChain(first);
  for (const statement of rotations) await chain.rotate(statement);
  return { first, chain };
}

/** The statement of a `rotation <JSON string>` line; `BAD_ROTATION` when it is no JSON string. */
function rotationStatement(json: string, file: string): string {
  let statement: unknown;
  try {
    statement = JSON.parse(json);
  } catch {
    statement = undefined;
  }
  if (typeof statement !== "string") {
    throw new NoteError("BAD_ROTATION", `${file}: a rotation line must hold its statement as a JSON string`);
  }
  return statement;
}

/**
 * The logs named by repeated --log flags, one log per file (its key and rotation chain, as `--key`
 * reads them): each known by its origin, which is the name of its key (docs/FORMAT.md §5).
 */
export async function logsOf(flag: unknown): Promise<{ origin: string; keys: KeyChain }[]> {
  const files = flagFiles(flag);
  if (files.length === 0) throw new UsageError("give each log's verifier key file with --log FILE");
  return await Promise.all(files.map(async (file) => {
    const { first, chain } = await trustedKeys(file);
    return { origin: first[0].name, keys: chain };
  }));
}

/** The repeatable `--witness FILE` flag: a witness's verifier key (`smem witness key`). */
export const WITNESS_KEY_FLAG: Flag = {
  type: "string",
  arg: "FILE",
  help: "a witness verifier key file (smem witness key) whose cosignature is required (repeatable)",
  multiple: true,
};

/** The witness keys (signature type 0x04) named by repeated --witness flags; none when there are none. */
export async function witnessKeys(flag: unknown): Promise<NoteVerifier[]> {
  return await Promise.all(
    flagFiles(flag).map(async (file) =>
      await parseCosignerVerifierKey((await Deno.readTextFile(file)).trim())
    ),
  );
}

/** What a verifying command adds to its line when witnesses were required: ", cosigned by W1, W2". */
export function cosignedByText(witnesses: readonly NoteVerifier[]): string {
  return witnesses.length === 0 ? "" : `, cosigned by ${witnesses.map((w) => w.name).join(", ")}`;
}

/** The files of a repeatable file flag. */
function flagFiles(flag: unknown): string[] {
  return Array.isArray(flag) ? flag : typeof flag === "string" ? [flag] : [];
}
