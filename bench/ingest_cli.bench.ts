/**
 * `smem ingest` against the ledger's own batched append (issue 4: ≥ 80%), same records, same
 * batch size, measured in one run; the CLI runs as a subprocess with the binary's permissions,
 * its start-up included. BENCH_INGEST_RECORDS sets the size (default 20,000). Writes the
 * "ingest" section of bench/RESULTS.md.
 * @module
 */
import { Ledger } from "../ledger/ledger.ts";
import { formatRate, machineLine, writeResultsSection } from "./_measure.ts";
import { sampleDraft } from "./_records.ts";

const RECORDS = Number(Deno.env.get("BENCH_INGEST_RECORDS") ?? "20000");
const root = await Deno.makeTempDir({ prefix: "smem-ingest-bench-" });
const drafts = Array.from({ length: RECORDS }, (_, i) => sampleDraft(i));
await Deno.writeTextFile(`${root}/trace.ndjson`, drafts.map((d) => JSON.stringify(d)).join("\n") + "\n");

const direct = await Ledger.create(`${root}/direct`);
let start = performance.now();
for (let done = 0; done < RECORDS; done += 1000) await direct.appendBatch(drafts.slice(done, done + 1000));
const ledgerRate = RECORDS / ((performance.now() - start) / 1000);
direct.close();

(await Ledger.create(`${root}/cli`)).close();
const main = new URL("../cli/main.ts", import.meta.url).pathname;
start = performance.now();
const out = await new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--quiet",
    "--no-prompt",
    `--allow-read=${root}`,
    `--allow-write=${root}`,
    main,
    "ingest",
    `${root}/trace.ndjson`,
    "--dir",
    `${root}/cli`,
  ],
}).output();
const cliRate = RECORDS / ((performance.now() - start) / 1000);
await Deno.remove(root, { recursive: true });
if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));

const ratio = cliRate / ledgerRate;
const md = `
## CLI ingest (issue 4) — ${formatRate(RECORDS)} records of ~1 KiB, batches of 1,000

Machine: ${machineLine()}. Run with \`deno task bench:ingest\`.

| measure | rate (records/s) | ratio | target |
| --- | ---: | ---: | --- |
| \`Ledger.appendBatch\` in process (baseline) | ${formatRate(ledgerRate)} | 1.00× | — |
| \`smem ingest FILE\` (subprocess, start-up and strict NDJSON parsing included) | ${formatRate(cliRate)} | ${
  ratio.toFixed(2)
}× | ≥ 0.8×: ${ratio >= 0.8 ? "met" : "**missed**"} |
`;
console.log(md);
writeResultsSection("ingest", md);
