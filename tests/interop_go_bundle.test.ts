/**
 * Evidence bundles checked by a second implementation: the `bundle` command of
 * tests/interop/sumdb_check, written in Go from docs/FORMAT.md §7 on golang.org/x/mod/sumdb (note,
 * tlog) and lukechampine.com/blake3, sharing no code with SecuraMem. Bundles SecuraMem exports, of
 * both hash algorithms, verify there with the same counts, and a sweep of tampers (each line with a
 * byte flipped at three places, dropped, doubled, swapped with the next; the final newline dropped)
 * is refused by both, each naming the same line.
 */
import assert from "node:assert/strict";
import { concatBytes } from "../core/encoding.ts";
import { parseVerifierKey } from "../core/keys.ts";
import { SecuraMemError } from "../core/errors.ts";
import { exportBundle, type ExportRange } from "../ledger/export.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { verifyBundleFile } from "../cli/bundle_file.ts";
import { sumdbCheck } from "./_sumdb_check.ts";
import { withTrickyLedger } from "./_tricky_ledger.ts";

const NEWLINE = 0x0a;

async function exportBytes(ledger: Ledger, range: ExportRange): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  await exportBundle(ledger, (chunk) => {
    chunks.push(chunk.slice());
    return Promise.resolve();
  }, range);
  return concatBytes(...chunks);
}

/** The lines of a bundle, without their newlines. */
function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  for (let start = 0; start < bytes.length;) {
    const end = bytes.indexOf(NEWLINE, start);
    lines.push(bytes.subarray(start, end));
    start = end + 1;
  }
  return lines;
}

function joinLines(lines: readonly Uint8Array[]): Uint8Array {
  return concatBytes(...lines.flatMap((line) => [line, Uint8Array.of(NEWLINE)]));
}

function flipped(line: Uint8Array, at: number): Uint8Array {
  const copy = line.slice();
  copy[at] ^= 0x01;
  return copy;
}

/** Every tamper of the sweep, named. */
function* tampers(bytes: Uint8Array): Generator<[string, Uint8Array]> {
  const lines = splitLines(bytes);
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    for (const at of new Set([4, lines[i].length >> 1, lines[i].length - 2])) {
      yield [`line ${n}: byte ${at} flipped`, joinLines(lines.with(i, flipped(lines[i], at)))];
    }
    yield [`line ${n} dropped`, joinLines(lines.toSpliced(i, 1))];
    yield [`line ${n} doubled`, joinLines(lines.toSpliced(i, 0, lines[i]))];
    if (i + 1 < lines.length) {
      yield [`lines ${n} and ${n + 1} swapped`, joinLines(lines.with(i, lines[i + 1]).with(i + 1, lines[i]))];
    }
  }
  yield ["the final newline dropped", bytes.subarray(0, -1)];
}

/** What a verifier said: its report's counts, or the line it failed at. */
type Verdict = { readonly counts: Record<string, unknown> } | {
  readonly line: number;
  readonly message: string;
};

async function ours(path: string, trusted: string): Promise<Verdict> {
  try {
    const report = await verifyBundleFile(path, [await parseVerifierKey(trusted)]);
    const { origin, from, to } = report.header;
    const { records, checkpoints, chains, blobs } = report;
    return {
      counts: {
        origin,
        from,
        to,
        size: report.finalCheckpoint.checkpoint.size,
        records,
        checkpoints,
        chains,
        blobs,
      },
    };
  } catch (error) {
    if (!(error instanceof SecuraMemError) || error.where.line === undefined) throw error;
    return { line: error.where.line, message: `${error.code}: ${error.message}` };
  }
}

async function go(path: string, keysFile: string): Promise<Verdict> {
  const run = await sumdbCheck("bundle", keysFile, path);
  if (run.code === 0) return { counts: JSON.parse(run.stdout) };
  const line = /^sumdb_check: line (\d+): /.exec(run.stderr);
  assert.ok(run.code === 1 && line !== null, `the Go checker's failure names no line: ${run.stderr}`);
  return { line: Number(line[1]), message: run.stderr.trim() };
}

for (const alg of ["sha256", "b3"] as const) {
  Deno.test(`interop (Go): ${alg} bundles verify in the Go checker with SecuraMem's counts; every tamper of the sweep fails in both at the same line`, async () => {
    await withTrickyLedger(alg, async (ledger, { work, keys }) => {
      const firstKey = ledger.verifierKey!;
      await ledger.rotateKey();
      const payload = ledger.putBlob(new TextEncoder().encode("the prompt, kept off the chain"));
      await ledger.appendBatch([
        { kind: "PromptReceived", subject: { content_id: payload } },
        { kind: "ModelInvoked", stream: "tools" },
        { kind: "Quoted", subject: { content_id: payload } },
      ]);
      const ranges: ExportRange[] = [
        { from: 5, to: 29 }, // left and right subtrees, an intermediate checkpoint
        { from: 0, to: 1 },
        { from: 3, withBlobs: true }, // a key rotation, a payload, records of every chain after a mid-range start
      ];
      const problems: string[] = [];
      let swept = 0;
      for (const range of ranges) {
        const bundle = await exportBytes(ledger, range);
        const path = `${work}/b.smemctx`;
        await Deno.writeFile(path, bundle);
        const [mine, theirs] = [await ours(path, firstKey), await go(path, keys)];
        assert.ok("counts" in mine, `SecuraMem refuses its own bundle: ${JSON.stringify(mine)}`);
        assert.deepEqual(theirs, mine, `the Go checker on ${JSON.stringify(range)}`);
        if (range.withBlobs) {
          assert.equal(mine.counts.blobs, 1);
          assert.ok(
            new TextDecoder().decode(bundle).includes("\nrotation "),
            "the rotation is in the bundle",
          );
        }
        for (const [name, tampered] of tampers(bundle)) {
          await Deno.writeFile(path, tampered);
          const [mineNow, theirsNow] = [await ours(path, firstKey), await go(path, keys)];
          if (!("line" in mineNow) || !("line" in theirsNow)) {
            problems.push(`${name}: accepted by ${"line" in mineNow ? "the Go checker" : "SecuraMem"}`);
          } else if (mineNow.line !== theirsNow.line) {
            problems.push(
              `${name}: SecuraMem at ${mineNow.line} (${mineNow.message}), Go at ${theirsNow.line} (${theirsNow.message})`,
            );
          }
          swept++;
        }
      }
      assert.deepEqual(problems, [], `${problems.length} of ${swept} tampers`);
      assert.ok(swept > 400, `${swept} tampers`);
    });
  });
}
