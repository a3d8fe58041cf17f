/**
 * Ledger throughput (issue 3 targets), 1 KiB records, this machine. Writes the "ledger" section
 * of bench/RESULTS.md. BENCH_RECORDS sets the ingest size (default 100,000).
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { Ledger } from "../ledger/ledger.ts";
import { PAGE_SIZE } from "../ledger/schema.ts";
import { verifyLedger } from "../ledger/verify.ts";
import { formatRate, machineLine, median, quantile, writeResultsSection } from "./_measure.ts";
import { sampleDraft } from "./_records.ts";

const RECORDS = Number(Deno.env.get("BENCH_RECORDS") ?? "100000");
const BATCH = 1000;
/** Single appends timed, and the unmeasured ones before them. */
const SINGLE_APPENDS = 5000;
const WARM_UP = 1000;
const root = await Deno.makeTempDir({ prefix: "smem-bench-" });

function dirSize(dir: string): number {
  let total = 0;
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isFile) total += Deno.statSync(`${dir}/${entry.name}`).size;
  }
  return total;
}

// SecuraMem batched durable ingest.
let clock = 1_730_246_400_000;
const ledger = await Ledger.create(`${root}/ledger`, { clock: () => clock++, writerId: "bench@host" });
const drafts = Array.from({ length: 4096 }, (_, i) => sampleDraft(i));
let start = performance.now();
for (let done = 0; done < RECORDS; done += BATCH) {
  await ledger.appendBatch(Array.from({ length: BATCH }, (_, i) => drafts[(done + i) % drafts.length]));
}
const ingestRate = RECORDS / ((performance.now() - start) / 1000);

// Raw SQLite insert of the same rows: the ledger's own records table and indexes (no triggers),
// same batch size, synchronous=FULL.
const columns = ledger.db.prepare("SELECT name FROM pragma_table_info('records')").all()
  .map((c) => c.name as string);
const rows = ledger.db.prepare(`SELECT ${columns.join(", ")} FROM records ORDER BY leaf`)
  .all() as Record<string, number | string | Uint8Array | null>[];
const canonicalBytes = rows.reduce((sum, row) => sum + (row.body as Uint8Array).length, 0);
const raw = new DatabaseSync(`${root}/raw.db`);
raw.exec(`PRAGMA page_size = ${PAGE_SIZE}; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;`);
for (
  const { sql } of ledger.db.prepare(
    "SELECT sql FROM sqlite_schema WHERE tbl_name = 'records' AND type IN ('table', 'index') AND sql IS NOT NULL",
  ).all()
) raw.exec(sql as string);
const insert = raw.prepare(`INSERT INTO records VALUES (${columns.map(() => "?").join(", ")})`);
start = performance.now();
for (let done = 0; done < rows.length; done += BATCH) {
  raw.exec("BEGIN IMMEDIATE");
  for (const row of rows.slice(done, done + BATCH)) insert.run(...columns.map((c) => row[c]));
  raw.exec("COMMIT");
}
const rawRate = rows.length / ((performance.now() - start) / 1000);

// The floor of a single durable append: a bare commit of one of the same rows into the raw copy.
const rawSingle: number[] = [];
for (let i = 0; i < SINGLE_APPENDS; i++) {
  const row: Record<string, number | string | Uint8Array | null> = {
    ...rows[i % rows.length],
    leaf: rows.length + i,
    seq: Number(rows[rows.length - 1].seq) + 1 + i,
  };
  const t = performance.now();
  raw.exec("BEGIN IMMEDIATE");
  insert.run(...columns.map((c) => row[c]));
  raw.exec("COMMIT");
  rawSingle.push(performance.now() - t);
}
raw.close();
rawSingle.sort((a, b) => a - b);
const rawP50 = quantile(rawSingle, 0.5);
const rawP99 = quantile(rawSingle, 0.99);

// Single durable appends with receipt data, after a warm-up (the first appends after a bulk ingest
// wait on the disk's writeback of it).
for (let i = 0; i < WARM_UP; i++) await ledger.append(drafts[i % drafts.length]);
const latencies: number[] = [];
for (let i = 0; i < SINGLE_APPENDS; i++) {
  const t = performance.now();
  await ledger.append(drafts[i % drafts.length]);
  latencies.push(performance.now() - t);
}
latencies.sort((a, b) => a - b);
const p50 = quantile(latencies, 0.5);
const p99 = quantile(latencies, 0.99);
const p999 = quantile(latencies, 0.999);

// Group commit: 32 single appends in flight at a time, each awaited by its own caller.
const inFlight = 32;
const groupLatencies: number[] = [];
start = performance.now();
await Promise.all(Array.from({ length: inFlight }, async (_, w) => {
  for (let i = 0; i < 250; i++) {
    const t = performance.now();
    await ledger.append(drafts[(w * 250 + i) % drafts.length]);
    groupLatencies.push(performance.now() - t);
  }
}));
const groupRate = (inFlight * 250) / ((performance.now() - start) / 1000);
groupLatencies.sort((a, b) => a - b);
const groupP50 = quantile(groupLatencies, 0.5);
const groupP99 = quantile(groupLatencies, 0.99);

// Proof generation at the final size.
const size = ledger.size;
const proofTimes: number[] = [];
for (let k = 0; k < 2000; k++) {
  const index = (k * 7919) % size;
  const t = performance.now();
  ledger.inclusionProof(index);
  proofTimes.push(performance.now() - t);
}
const proofMicros = median(proofTimes) * 1000;

// Full verify: a worker per core, then in line on one core.
async function verifyRun(workers?: number): Promise<{ rate: number; workers: number }> {
  const start = performance.now();
  const report = await verifyLedger(ledger, { workers });
  if (!report.ok) throw report.failure;
  return { rate: report.recordsChecked / ((performance.now() - start) / 1000), workers: report.workers };
}
const parallel = await verifyRun();
const oneCore = await verifyRun(1);
const verifyRate = parallel.rate;
ledger.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
const dbBytes = dirSize(ledger.paths.dir);
const storedBytes =
  (ledger.db.prepare("SELECT sum(length(body)) AS n FROM records").get() as { n: number }).n;
ledger.close();
await Deno.remove(root, { recursive: true });

const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
const md = `
## Ledger (issue 3) — ${formatRate(RECORDS)} records of ~${Math.round(canonicalBytes / rows.length)} bytes

Machine: ${machineLine()}. One process, one core doing the work; WAL + synchronous=FULL for both
SecuraMem and the raw baseline; batches of ${BATCH}. Run with \`deno task bench:ledger\`
(\`BENCH_RECORDS=N\` for another size).

| measure | SecuraMem | baseline in the same run | ratio | target |
| --- | ---: | --- | ---: | --- |
| batched durable ingest (records/s), checkpoint signed per batch | ${
  formatRate(ingestRate)
} | raw SQLite insert of the same rows: ${formatRate(rawRate)} | ${
  (ingestRate / rawRate).toFixed(2)
}× | ≥ 100,000/s: ${verdict(ingestRate >= 100_000)}; ≥ 0.5× raw: ${verdict(ingestRate >= 0.5 * rawRate)} |
| single durable append, receipt data returned: p50 (${formatRate(SINGLE_APPENDS)} after ${
  formatRate(WARM_UP)
} unmeasured) | ${p50.toFixed(3)} ms | bare one-row SQLite commit: ${rawP50.toFixed(3)} ms | ${
  (p50 / rawP50).toFixed(2)
}× | ≤ 0.3 ms: ${verdict(p50 <= 0.3)} |
| single durable append: p99 (p99.9 ${p999.toFixed(2)} ms) | ${p99.toFixed(3)} ms | bare one-row commit: ${
  rawP99.toFixed(3)
} ms | ${(p99 / rawP99).toFixed(2)}× | ≤ 1.5 ms: ${verdict(p99 <= 1.5)} |
| single appends, ${inFlight} in flight, group-committed (records/s) | ${
  formatRate(groupRate)
} | one at a time: ${formatRate(1000 / p50)}/s at p50 | ${(groupRate / (1000 / p50)).toFixed(1)}× | — |
| … their latency p50 / p99 | ${groupP50.toFixed(2)} / ${groupP99.toFixed(2)} ms | — | — | — |
| full verify, ${parallel.workers} workers (records/s) | ${formatRate(verifyRate)} | the same on one core: ${
  formatRate(oneCore.rate)
} | ${(verifyRate / oneCore.rate).toFixed(2)}× | ≥ 250,000/s: ${verdict(verifyRate >= 250_000)} |
| full verify, one core, in line (records/s) | ${formatRate(oneCore.rate)} | ingest of the same ledger: ${
  formatRate(ingestRate)
} | ${(oneCore.rate / ingestRate).toFixed(2)}× | — |
| inclusion-proof generation at ${formatRate(size)} leaves (median) | ${
  proofMicros.toFixed(1)
} µs | — | — | < 100 µs: ${verdict(proofMicros < 100)} |
| database size / canonical bytes of all ${formatRate(size)} records (every checkpoint kept) | ${
  (dbBytes / storedBytes).toFixed(2)
}× | ${formatRate(dbBytes)} bytes for ${formatRate(storedBytes)} | — | ≤ 1.4×: ${
  verdict(dbBytes / storedBytes <= 1.4)
} |
`;
console.log(md);
writeResultsSection("ledger", md);
