/**
 * Peak memory of `smem verify-bundle` on a large bundle (issue 4: a 1M-record bundle verifies in
 * < 200 MiB RSS). The bundle is synthesized with the core (no ledger needed), verified by the
 * CLI as a subprocess with the binary's permissions, and its RSS sampled from /proc.
 * BENCH_BUNDLE_RECORDS sets the size (default 1,000,000). Writes the "bundle" section of
 * bench/RESULTS.md.
 * @module
 */
import { bundleLine } from "../core/bundle.ts";
import { signCheckpoint } from "../core/checkpoint.ts";
import { keyPairFromSeed, parseSignerKey } from "../core/keys.ts";
import { MerkleHasher } from "../core/merkle_hasher.ts";
import { MerkleTree, type NodeStore } from "../core/merkle_tree.ts";
import { type ChainHead, genesisHead, sealedText, sealRecord } from "../core/record.ts";
import { loadHasher } from "../wasm/hasher.ts";
import { formatRate, machineLine, writeResultsSection } from "./_measure.ts";
import { sampleDraft } from "./_records.ts";

const RECORDS = Number(Deno.env.get("BENCH_BUNDLE_RECORDS") ?? "1000000");
const root = await Deno.makeTempDir({ prefix: "smem-bundle-bench-" });
const origin = "bench.securamem.example/0000000000000000";
const keys = await keyPairFromSeed(origin, new Uint8Array(32).fill(3));
const { signer } = await parseSignerKey(keys.signerKey);
const b3 = await loadHasher("b3");
const discard: NodeStore = { get: () => undefined, put: () => {} };
const tree = new MerkleTree(new MerkleHasher(b3), discard);

const file = await Deno.open(`${root}/big.smemctx`, { write: true, create: true });
const encoder = new TextEncoder();
let pending: string[] = [];
let lines = 0;
const emit = async (line: string) => {
  pending.push(line);
  lines++;
  if (pending.length >= 2000) {
    await file.write(encoder.encode(pending.join("")));
    pending = [];
  }
};
await emit(
  bundleLine.header({ origin, alg: "b3", from: 0, to: RECORDS, size: RECORDS }),
);
await emit(bundleLine.key(keys.verifierKey));
let head: ChainHead = genesisHead("b3");
const drafts = Array.from({ length: 1024 }, (_, i) => sampleDraft(i));
for (let i = 0; i < RECORDS; i++) {
  const sealed = sealRecord(
    drafts[i % 1024],
    head,
    { tsMs: 1_730_246_400_000 + i, writerId: "bench@host" },
    b3,
  );
  head = { prev: sealed.selfHash, nextSeq: head.nextSeq + 1 };
  tree.appendEntry(sealed.digest);
  await emit(bundleLine.record(sealedText(sealed)));
}
await emit(
  bundleLine.checkpoint(
    await signCheckpoint({ origin, size: RECORDS, root: tree.root(), extensions: [] }, [signer]),
  ),
);
await emit(bundleLine.end(RECORDS, lines));
await file.write(encoder.encode(pending.join("")));
file.close();
await Deno.writeTextFile(`${root}/verifier.key`, keys.verifierKey);
const bytes = (await Deno.stat(`${root}/big.smemctx`)).size;

const main = new URL("../cli/main.ts", import.meta.url).pathname;
// Deno reads /proc only with --allow-all, so a shell samples the child's peak RSS (VmHWM).
const verifyCommand = [
  Deno.execPath(),
  "run",
  "--quiet",
  "--no-prompt",
  `--allow-read=${root}`,
  main,
  "verify-bundle",
  `${root}/big.smemctx`,
  "--key",
  `${root}/verifier.key`,
]
  .map((arg) => `'${arg}'`).join(" ");
const sampler = `${verifyCommand} >/dev/null & p=$!; m=0
while kill -0 $p 2>/dev/null; do v=$(awk '/VmHWM/{print $2}' /proc/$p/status 2>/dev/null); [ -n "$v" ] && [ "$v" -gt "$m" ] && m=$v; sleep 0.02; done
wait $p; echo "$? $m"`;
const started = performance.now();
const out = await new Deno.Command("bash", { args: ["-c", sampler], stdout: "piped", stderr: "piped" })
  .output();
const seconds = (performance.now() - started) / 1000;
const [code, peakKiB] = new TextDecoder().decode(out.stdout).trim().split(" ").map(Number);
if (code !== 0) throw new Error(`verify-bundle exited ${code}: ${new TextDecoder().decode(out.stderr)}`);
await Deno.remove(root, { recursive: true });

const peakMiB = peakKiB / 1024;
const md = `
## Bundle verification (issue 4) — ${formatRate(RECORDS)} records, ${(bytes / 2 ** 20).toFixed(0)} MiB bundle

Machine: ${machineLine()}. \`smem verify-bundle\` as a subprocess (read permission on the bundle
directory only), RSS sampled every 20 ms from /proc (VmHWM). Run with \`deno task bench:bundle\`.

| measure | value | target |
| --- | ---: | --- |
| peak RSS of verify-bundle | ${peakMiB.toFixed(0)} MiB | < 200 MiB: ${peakMiB < 200 ? "met" : "**missed**"} |
| verification rate | ${formatRate(RECORDS / seconds)} records/s (${
  seconds.toFixed(1)
} s, process start included) | — |
`;
console.log(md);
writeResultsSection("bundle", md);
