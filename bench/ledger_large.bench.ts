/**
 * The ledger at scale (issue 3): BENCH_LARGE_RECORDS records (default 10,000,000) of ~1 KiB in
 * batches of 1,000. Reports the ingest rate over the first and the last 100,000 records (the
 * large ledger must keep ≥ 80% of the small one's rate), inclusion-proof generation at full size
 * (< 100 µs), the database size against the canonical bytes (≤ 1.4×) and a full verify (a
 * worker per core). Memory stays flat: drafts are generated per batch. `BENCH_LARGE_KEEP=1` keeps
 * the ledger for inspection. Writes the "ledger-large" section of bench/RESULTS.md.
 * @module
 */
import { Ledger } from "../ledger/ledger.ts";
import { verifyLedger } from "../ledger/verify.ts";
import { formatRate, machineLine, median, writeResultsSection } from "./_measure.ts";
import { sampleDraft } from "./_records.ts";

const RECORDS = Number(Deno.env.get("BENCH_LARGE_RECORDS") ?? "10000000");
const WINDOW = 100_000;
const BATCH = 1000;
const root = await Deno.makeTempDir({ prefix: "smem-large-" });
let canonicalBytes = 0;
const ledger = await Ledger.create(`${root}/ledger`, {
  onCommit: (commit) => {
    for (const record of commit.records) canonicalBytes += record.bytes;
  },
});

const windowRates: number[] = [];
let windowStart = performance.now();
const started = performance.now();
for (let done = 0; done < RECORDS; done += BATCH) {
  await ledger.appendBatch(Array.from({ length: BATCH }, (_, i) => sampleDraft(done + i)));
  if ((done + BATCH) % WINDOW === 0) {
    windowRates.push(WINDOW / ((performance.now() - windowStart) / 1000));
    windowStart = performance.now();
    if (windowRates.length % 10 === 0) {
      console.error(`${formatRate(done + BATCH)} records, last window ${formatRate(windowRates.at(-1)!)}/s`);
    }
  }
}
const overall = RECORDS / ((performance.now() - started) / 1000);
const first = windowRates[0];
const last = windowRates.at(-1)!;

const proofTimes: number[] = [];
for (let i = 0; i < 2000; i++) {
  const index = Math.floor(((i * 2654435761) % 4294967296) / 4294967296 * RECORDS);
  const t = performance.now();
  ledger.inclusionProof(index, RECORDS);
  proofTimes.push((performance.now() - t) * 1000);
}
const proofUs = median(proofTimes);

ledger.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
const dbBytes = Deno.statSync(`${root}/ledger/ledger.db`).size;
const verifyStart = performance.now();
const report = await verifyLedger(ledger);
const verifyRate = report.recordsChecked / ((performance.now() - verifyStart) / 1000);
ledger.close();
if (Deno.env.get("BENCH_LARGE_KEEP") === "1") console.error(`kept the ledger in ${root}/ledger`);
else await Deno.remove(root, { recursive: true });

const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
const md = `
## Ledger at scale (issue 3) — ${formatRate(RECORDS)} records of ~${
  Math.round(canonicalBytes / RECORDS)
} bytes

Machine: ${machineLine()}. Run with \`deno task bench:ledger:large\` (\`BENCH_LARGE_RECORDS=N\` for another size);
batches of 1,000, WAL + synchronous=FULL, a signed checkpoint per batch.

| measure | figure | target |
| --- | ---: | --- |
| ingest, first ${formatRate(WINDOW)} records | ${formatRate(first)} records/s | — |
| ingest, last ${formatRate(WINDOW)} records | ${formatRate(last)} records/s (${
  (last / first * 100).toFixed(0)
}% of the first) | ≥ 80%: ${verdict(last >= 0.8 * first)} |
| ingest, whole run | ${formatRate(overall)} records/s | — |
| inclusion-proof generation at ${formatRate(RECORDS)} leaves (median of 2,000 random leaves) | ${
  proofUs.toFixed(1)
} µs | < 100 µs: ${verdict(proofUs < 100)} |
| database size / canonical bytes | ${(dbBytes / canonicalBytes).toFixed(2)}× (${
  formatRate(dbBytes)
} bytes for ${formatRate(canonicalBytes)}) | ≤ 1.4×: ${verdict(dbBytes / canonicalBytes <= 1.4)} |
| full verify, ${report.workers} workers | ${formatRate(verifyRate)} records/s (${
  report.ok ? "intact" : `FAILED: ${report.failure?.message}`
}) | — |
`;
console.log(md);
writeResultsSection("ledger-large", md);
