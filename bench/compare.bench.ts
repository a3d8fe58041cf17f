/**
 * `deno task bench:compare` (issue 6): SecuraMem, hypercore and a naive SQLite hash chain, side by
 * side on the same records and machine, with the hashing and SQLite ceilings. Each measurement
 * runs in a fresh process (so peak RSS is its own) and a fresh directory; figures are medians of
 * BENCH_COMPARE_RUNS runs (default 3; BENCH_COMPARE_RUNS_LARGE, default 1, at a million records or
 * more) for each record size (BENCH_COMPARE_SIZES, default "256,1024") and count
 * (BENCH_COMPARE_COUNTS, default "100000"). hypercore runs under Node from
 * bench/peers/ (`npm ci` there first; the task does it). Writes the "compare" section of
 * bench/RESULTS.md and the summary table in README.md.
 * @module
 */
import { formatRate, machineLine, median, writeResultsSection } from "./_measure.ts";
import { sampleDraft } from "./_records.ts";
import { RUNNER_HEAP_MIB, SINGLE_APPENDS } from "./compare/_common.ts";

const RUNS = Number(Deno.env.get("BENCH_COMPARE_RUNS") ?? "3");
const RUNS_LARGE = Number(Deno.env.get("BENCH_COMPARE_RUNS_LARGE") ?? "1");
/** Runs at `count` records: a million-record run of every store takes ~10 minutes here. */
const runsFor = (count: number) => count >= 1_000_000 ? RUNS_LARGE : RUNS;
const SIZES = (Deno.env.get("BENCH_COMPARE_SIZES") ?? "256,1024").split(",").map(Number);
const COUNTS = (Deno.env.get("BENCH_COMPARE_COUNTS") ?? "100000").split(",").map(Number);
const here = new URL(".", import.meta.url).pathname;
const root = await Deno.makeTempDir({ prefix: "smem-compare-" });

type Figures = Record<string, number>;

async function runJson(command: string, args: string[], cwd = here): Promise<Figures> {
  const out = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (out.code !== 0) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(text.split("\n").at(-1)!);
}

function medians(runs: Figures[]): Figures {
  return Object.fromEntries(Object.keys(runs[0]).map((key) => [key, median(runs.map((run) => run[key]))]));
}

async function measure(recordsFile: string, runs: number): Promise<Record<string, Figures>> {
  const collected: Record<string, Figures[]> = { securamem: [], naive: [], hypercore: [], ceilings: [] };
  for (let run = 0; run < runs; run++) {
    const work = () => Deno.makeTempDirSync({ dir: root });
    const deno = (runner: string) =>
      runJson(Deno.execPath(), [
        "run",
        "-A",
        `--v8-flags=--max-old-space-size=${RUNNER_HEAP_MIB}`,
        `compare/${runner}.ts`,
        recordsFile,
        work(),
      ]);
    collected.ceilings.push(await deno("ceilings"));
    collected.securamem.push(await deno("securamem"));
    collected.naive.push(await deno("naive_chain"));
    collected.hypercore.push(
      await runJson(
        "node",
        [
          `--max-old-space-size=${RUNNER_HEAP_MIB}`,
          "hypercore.mjs",
          recordsFile,
          work(),
          String(SINGLE_APPENDS),
        ],
        `${here}peers`,
      ),
    );
    console.error(`  run ${run + 1}/${runs} done`);
  }
  return Object.fromEntries(Object.entries(collected).map(([name, runs]) => [name, medians(runs)]));
}

/** Writes `count` drafts of ~`size` bytes as NDJSON, 10,000 lines at a time. */
function writeRecordsFile(path: string, count: number, size: number): void {
  const file = Deno.openSync(path, { write: true, create: true, truncate: true });
  try {
    for (let from = 0; from < count; from += 10_000) {
      const lines = Array.from(
        { length: Math.min(10_000, count - from) },
        (_, i) => JSON.stringify(sampleDraft(from + i, size)) + "\n",
      );
      const bytes = new TextEncoder().encode(lines.join(""));
      for (let written = 0; written < bytes.length;) written += file.writeSync(bytes.subarray(written));
    }
  } finally {
    file.close();
  }
}

async function coldStartMs(): Promise<number> {
  const dir = `${root}/cold`;
  await runJson(Deno.execPath(), ["run", "-A", "../cli/main.ts", "init", "--dir", dir, "--json"]);
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        `--allow-read=${dir}`,
        `--allow-write=${dir}`,
        "../cli/main.ts",
        "status",
        "--dir",
        dir,
      ],
      cwd: here,
      stdout: "null",
    }).output();
    if (out.code !== 0) throw new Error("smem status failed");
    times.push(performance.now() - start);
  }
  return median(times);
}

const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
const r = formatRate;
const ms = (value: number) => value.toFixed(2);

function section(size: number, count: number, f: Record<string, Figures>): string {
  const { securamem: s, naive: n, hypercore: h, ceilings: c } = f;
  return `
### ~${Math.round(s.meanRecordBytes)}-byte records (target ${size} B), ${r(count)} records, median of ${
    runsFor(count)
  }

| measure | SecuraMem | hypercore | naive chain | SecuraMem / hypercore | SecuraMem / naive | target |
| --- | ---: | ---: | ---: | ---: | ---: | --- |
| durable batched ingest, records/s (1,000 per call / transaction) | ${r(s.ingest)} | ${r(h.batched)} | ${
    r(n.batched)
  } | ${x(s.ingest, h.batched)} | ${x(s.ingest, n.batched)} | ≥ 1.25× hypercore: ${
    verdict(s.ingest >= 1.25 * h.batched)
  }; ≥ 10× naive: ${verdict(s.ingest >= 10 * n.batched)} |
| single append (SecuraMem: durable, with its receipt), p50 ms | ${ms(s.singleP50)} | ${ms(h.singleP50)} | ${
    ms(n.singleP50)
  } | — | ${x(s.singleP50, n.singleP50)} the time | faster than naive: ${verdict(s.singleP50 < n.singleP50)} |
| single append, p99 ms | ${ms(s.singleP99)} | ${ms(h.singleP99)} | ${ms(n.singleP99)} | — | — | — |
| naive: one transaction per record, records/s | — | ${r(h.singleRate)} (one \`append\` per block) | ${
    r(n.singleRate)
  } | — | ${x(s.ingest, n.singleRate)} (batched ingest vs this) | — |
| full verification, records/s (SecuraMem: a worker per core; hypercore: Merkle-verified replicated read) | ${
    r(s.verify)
  } | ${r(h.verifiedRead)} | ${r(n.verify)} | ${x(s.verify, h.verifiedRead)} | ${
    x(s.verify, n.verify)
  } | ≥ 25× hypercore: ${verdict(s.verify >= 25 * h.verifiedRead)} |
| … SecuraMem's verify on one core (in line, no workers) | ${r(s.verifyOneCore)} | — | — | ${
    x(s.verifyOneCore, h.verifiedRead)
  } | ${x(s.verifyOneCore, n.verify)} | — |
| inclusion proof generation, µs | ${ms(s.proofGenUs)} | — | — | — | — | — |
| inclusion proof verification, proofs/s | ${r(s.proofVerify)} | — | — | — | — | — |
| peak RSS of the run, MiB | ${Math.round(s.peakRssMiB)} | ${Math.round(h.peakRssMiB)} | ${
    Math.round(n.peakRssMiB)
  } | — | — | — |
| database bytes per record (after a WAL checkpoint) | ${Math.round(s.bytesPerRecord)} | — | ${
    Math.round(n.bytesPerRecord)
  } | — | — | — |

Ceilings over the same canonical bytes, same run: hash-wasm BLAKE3 ${r(c.blake3)}/s (SecuraMem ingest is ${
    x(s.ingest, c.blake3)
  } of it), node:crypto SHA-256 ${r(c.sha256)}/s, raw SQLite insert of the rows (1,000 per transaction, WAL +
synchronous=FULL, no index) ${r(c.rawSqlite)}/s (SecuraMem ingest is ${x(s.ingest, c.rawSqlite)} of it).
`;
}

const cold = await coldStartMs();
const node = await nodeVersion();
const sections: string[] = [];
const summary: string[] = [];
for (const size of SIZES) {
  for (const count of COUNTS) {
    const recordsFile = `${root}/records-${size}-${count}.ndjson`;
    writeRecordsFile(recordsFile, count, size);
    console.error(`${size} B × ${count}`);
    const f = await measure(recordsFile, runsFor(count));
    await Deno.remove(recordsFile);
    sections.push(section(size, count, f));
    summary.push(
      `| ~${Math.round(f.securamem.meanRecordBytes)} B × ${r(count)} | ${r(f.securamem.ingest)} | ${
        r(f.hypercore.batched)
      } | ${r(f.naive.batched)} | ${r(f.securamem.verify)} | ${r(f.hypercore.verifiedRead)} | ${
        r(f.naive.verify)
      } | ${ms(f.securamem.singleP50)} | ${ms(f.naive.singleP50)} |`,
    );
    // Written after every size and count, so a long run that stops keeps what it measured.
    writeResultsSection("compare", render());
    writeReadmeTable(summary);
  }
}
await Deno.remove(root, { recursive: true });
console.log(render());

function render(): string {
  return `
## Side by side (issue 6) — SecuraMem vs hypercore vs a naive SQLite hash chain

Machine: ${machineLine()}; Node ${node} for hypercore. Run with \`deno task bench:compare\`.
\`smem status\` cold start: ${ms(cold)} ms (median of 7).

Durability differs, and the figures should be read with it:
- **SecuraMem** commits each call in a SQLite transaction with WAL + \`synchronous=FULL\`: the WAL is fsynced
  before the call returns, and every commit stores a signed checkpoint covering it.
- **The naive chain** uses the same SQLite settings: durable per transaction; one Ed25519 signature per record.
- **hypercore** 11 (RocksDB storage) does not fsync per append: a returned \`append\` is in RocksDB's write
  buffer and WAL, which reach the disk later, so an OS crash or power loss can drop acknowledged blocks. Its
  batched figure is therefore an upper bound for a durable append.

Single appends are timed in each store's steady state: after its batched ingest, ${
    r(SINGLE_APPENDS)
  } unmeasured appends, then ${
    r(SINGLE_APPENDS)
  } timed (a new SQLite WAL, still growing, costs SecuraMem ~0.2 ms an append).
${sections.join("")}`;
}

async function nodeVersion(): Promise<string> {
  const out = await new Deno.Command("node", { args: ["--version"], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

function writeReadmeTable(rows: string[]): void {
  const path = new URL("../README.md", import.meta.url);
  const text = Deno.readTextFileSync(path);
  const start = "<!-- compare:start -->";
  const end = "<!-- compare:end -->";
  const table = [
    start,
    "| records | SecuraMem ingest/s | hypercore batched/s | naive chain batched/s | SecuraMem verify/s | hypercore verified read/s | naive verify/s | SecuraMem single p50 ms | naive single p50 ms |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    end,
  ].join("\n");
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error("README.md has no compare markers");
  Deno.writeTextFileSync(path, text.slice(0, from) + table + text.slice(to + end.length));
}
