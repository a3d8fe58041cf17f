/**
 * Load on `smem serve` (issue 5), run as users run it: a subprocess with exactly its task's
 * permissions, loaded over loopback (one core each) by bench/loadgen and autocannon.
 *   1. single-record POSTs (receipt included) at a fixed 1,000 req/s, open loop, from
 *      bench/loadgen (Go, its own process): latency
 *      p50/p99 as the client sees it, and as the server's own histogram sees it; the same load on
 *      two bare `Deno.serve` baselines (bench/_bare_server.ts: parse and answer; and a durable
 *      SQLite insert per request), so the latency this machine allows is measured in the same run;
 *   2. batched POSTs of 1,000 drafts: records/s, with and without receipts, against the ledger's
 *      own in-process batched append measured in the same run;
 *   3. a storm at more than 2× what the intake holds: 503s shed the excess, and every
 *      acknowledged record is in the ledger afterwards, which verifies.
 * BENCH_SERVER_SECONDS sets each phase's length (default 10). Writes the "server" section of
 * bench/RESULTS.md.
 * @module
 */
import autocannon from "autocannon";
import { Ledger } from "../ledger/ledger.ts";
import { verifyLedger } from "../ledger/verify.ts";
import { formatRate, machineLine, writeResultsSection } from "./_measure.ts";
import { freePort, serve, type Served } from "../tests/_serve_process.ts";
import { sampleDraft } from "./_records.ts";

const SECONDS = Number(Deno.env.get("BENCH_SERVER_SECONDS") ?? "10");
const root = await Deno.makeTempDir({ prefix: "smem-server-bench-" });

/** `smem serve` on a new ledger `name`, with read/write of that directory only. */
async function serveLedger(name: string, extra: string[] = []): Promise<Served & { dir: string }> {
  const dir = `${root}/${name}`;
  (await Ledger.create(dir)).close();
  return { ...(await serve(dir, dir, extra)), dir };
}

async function stop(served: Served): Promise<void> {
  served.child.kill("SIGTERM");
  const status = await served.child.status;
  if (status.code !== 0) throw new Error(`serve exited ${status.code}: ${await served.stderr}`);
}

function headers(served: Served): Record<string, string> {
  return { "content-type": "application/json", authorization: `Bearer ${served.token}` };
}

// 1. Single-record POSTs at a fixed rate, open loop, from bench/loadgen (a native process).
const loadgen = await buildLoadgen();
const singleBodyFile = `${root}/single.json`;
await Deno.writeTextFile(singleBodyFile, JSON.stringify(sampleDraft(1)));

/** What bench/loadgen prints: requests sent, answered 201, failed, latency quantiles (ms). */
interface LoadResult {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
}

/** Builds bench/loadgen (Go, standard library only) into the bench's temporary directory. */
async function buildLoadgen(): Promise<string> {
  const out = `${root}/loadgen`;
  const build = await new Deno.Command("go", {
    args: ["build", "-o", out, "."],
    cwd: new URL("./loadgen", import.meta.url).pathname,
    env: { GO111MODULE: "off" },
  }).output().catch((error) => {
    throw new Error(`go is needed for the load generator (Debian: golang-go): ${error}`);
  });
  if (build.code !== 0) {
    throw new Error(`building bench/loadgen failed: ${new TextDecoder().decode(build.stderr)}`);
  }
  return out;
}

/** 1,000 single-record POSTs a second for `seconds` to `url`, open loop. */
async function singlePosts(url: string, token?: string, seconds = SECONDS): Promise<LoadResult> {
  const out = await new Deno.Command(loadgen, {
    args: [
      "-url",
      `${url}/v1/records`,
      "-body",
      singleBodyFile,
      "-rate",
      "1000",
      "-seconds",
      String(seconds),
      ...(token === undefined ? [] : ["-token", token]),
    ],
    stderr: "inherit",
  }).output();
  if (out.code !== 0) throw new Error(`loadgen exited ${out.code}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** A second of the same load, unmeasured: the server compiles its hot paths first. */
async function warmUp(url: string, token?: string): Promise<void> {
  await singlePosts(url, token, 1);
}

/** The same load on a bare server (`durable`: one SQLite commit per request) in a subprocess. */
async function bareBaseline(durable: boolean) {
  const dir = await Deno.makeTempDir({ dir: root });
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      `--allow-net=127.0.0.1:${port}`,
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      new URL("./_bare_server.ts", import.meta.url).pathname,
      String(port),
      ...(durable ? [dir] : []),
    ],
    stdout: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  for (let read = await lines.read(); !read.value?.includes("listening"); read = await lines.read()) {
    if (read.done) throw new Error("the bare server exited before listening");
  }
  const url = `http://127.0.0.1:${port}`;
  await warmUp(url);
  const result = await singlePosts(url);
  child.kill("SIGTERM");
  await child.status;
  lines.releaseLock();
  return result;
}
const bare = await bareBaseline(false);
const bareDurable = await bareBaseline(true);
const single = await serveLedger("single");
await warmUp(single.url, single.token);
const warmedUp = await (await fetch(`${single.url}/metrics`)).text();
const fixed = await singlePosts(single.url, single.token);
const serverSide = histogramQuantiles(warmedUp, await (await fetch(`${single.url}/metrics`)).text(), [
  0.5,
  0.99,
]);
await stop(single);

// 2. Batched POSTs, against the in-process batched append.
const batch = Array.from({ length: 1000 }, (_, i) => sampleDraft(i));
const direct = await Ledger.create(`${root}/direct`);
let start = performance.now();
let directRecords = 0;
while (performance.now() - start < SECONDS * 1000) {
  await direct.appendBatch(batch);
  directRecords += batch.length;
}
const directRate = directRecords / ((performance.now() - start) / 1000);
direct.close();

async function batched(receipts: boolean): Promise<{ rate: number; p99: number; errors: number }> {
  const served = await serveLedger(receipts ? "batched-receipts" : "batched");
  const result = await autocannon({
    url: `${served.url}/v1/records${receipts ? "" : "?receipts=none"}`,
    method: "POST",
    headers: headers(served),
    body: JSON.stringify(batch),
    connections: 4,
    duration: SECONDS,
    timeout: 60,
  });
  await stop(served);
  return {
    rate: (result["2xx"] * batch.length) / SECONDS,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors,
  };
}
const lean = await batched(false);
const full = await batched(true);

// 3. A storm: far more in flight than the intake holds; then count what was acknowledged.
const QUEUE = 2000;
const storm = await serveLedger("storm", ["--queue", String(QUEUE)]);
const acknowledged: { index: number; selfHash: string }[] = [];
let shed = 0;
let other = 0;
let offered = 0;
const stormBatch = JSON.stringify(batch.slice(0, 100));
const deadline = performance.now() + SECONDS * 1000;
start = performance.now();
await Promise.all(Array.from({ length: 48 }, async () => {
  while (performance.now() < deadline) {
    offered += 100;
    const response = await fetch(`${storm.url}/v1/records?receipts=none`, {
      method: "POST",
      headers: headers(storm),
      body: stormBatch,
    });
    if (response.status === 201) acknowledged.push(...(await response.json()).results);
    else {
      await response.body?.cancel();
      if (response.status === 503) shed++;
      else other++;
    }
  }
}));
const stormSeconds = (performance.now() - start) / 1000;
await stop(storm);
const check = await Ledger.open(storm.dir);
const lost = acknowledged.filter((ack) => check.record(ack.index).selfHash !== ack.selfHash).length;
const report = await verifyLedger(check);
check.close();
await Deno.remove(root, { recursive: true });

const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
const md = `
## HTTP API (issue 5) — \`smem serve\` over loopback, ~1 KiB records

Machine: ${machineLine()}. Run with \`deno task bench:server\` (${SECONDS} s per phase). The server is a
subprocess with its task's permissions. Single records come from \`bench/loadgen\`, a native open-loop
generator in its own process (latency counted from when each request was due); batches from autocannon in
the bench process. Clients and server share the 2 cores.

| measure | figure | target |
| --- | ---: | --- |
| single-record POST with receipt, 1,000 req/s offered open-loop for ${SECONDS} s after 1 s unmeasured: answered 201 | ${
  formatRate(fixed.ok)
} of ${formatRate(fixed.sent)} (${fixed.failed} failed) | all |
| … latency at the client, p50 / p99 / max | ${latencyLine(fixed)} | p99 ≤ 5 ms: ${
  verdict(fixed.p99_ms <= 5)
} |
| … latency in the server (\`audit_append_latency_seconds\` bucket bounds), p50 / p99 | ≤ ${
  serverSide[0]
} / ≤ ${serverSide[1]} ms | — |
| baseline, the same load on a bare \`Deno.serve\` (parse the JSON, answer 201 with ~1.4 KB), p50 / p99 / max | ${
  latencyLine(bare)
} | — |
| baseline, the same with a durable one-row SQLite commit per request (WAL, \`synchronous=FULL\`), p50 / p99 / max | ${
  latencyLine(bareDurable)
} (SecuraMem's p99: ${(fixed.p99_ms / bareDurable.p99_ms).toFixed(2)}× this) | — |
| batched POST, 1,000 drafts per request, 4 connections, no receipts | ${formatRate(lean.rate)} records/s (${
  (lean.rate / directRate).toFixed(2)
}× in-process) | ≥ 50,000/s: ${verdict(lean.rate >= 50_000)} |
| batched POST, 1,000 drafts per request, with 1,000 receipts per response | ${
  formatRate(full.rate)
} records/s (${(full.rate / directRate).toFixed(2)}× in-process) | — |
| in-process \`Ledger.appendBatch\` of the same batches (baseline) | ${formatRate(directRate)} records/s | — |
| storm: 48 clients × 100-draft batches, intake of ${formatRate(QUEUE)} drafts | offered ${
  formatRate(offered / stormSeconds)
} records/s, acknowledged ${
  formatRate(acknowledged.length / stormSeconds)
} records/s, ${shed} requests shed with 503, ${other} other | sheds, loses nothing |
| … acknowledged records missing or altered afterwards; ledger verify | ${lost} of ${
  formatRate(acknowledged.length)
}; ${report.ok ? "intact" : `FAILED: ${report.failure?.message}`} | 0; intact: ${
  verdict(lost === 0 && report.ok)
} |
`;
console.log(md);
writeResultsSection("server", md);

function ms(value: number): string {
  return value.toFixed(value < 10 ? 2 : 0);
}

function latencyLine(run: LoadResult): string {
  return `${ms(run.p50_ms)} / ${ms(run.p99_ms)} / ${ms(run.max_ms)} ms${
    run.failed > 0 ? ` (${run.failed} failed)` : ""
  }`;
}

/** Upper bucket bounds (ms) holding each quantile of the append latencies between two scrapes of /metrics. */
function histogramQuantiles(before: string, after: string, quantiles: number[]): string[] {
  const earlier = latencyBuckets(before);
  const buckets = latencyBuckets(after).map((bucket, i) => ({
    ...bucket,
    count: bucket.count - earlier[i].count,
  }));
  const total = buckets.at(-1)?.count ?? 0;
  return quantiles.map((q) => String(buckets.find((b) => b.count >= q * total)?.le ?? NaN));
}

/** The cumulative buckets of `audit_append_latency_seconds`, bounds in ms. */
function latencyBuckets(metrics: string): { le: number; count: number }[] {
  return [...metrics.matchAll(/^audit_append_latency_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)]
    .map(([, le, count]) => ({ le: le === "+Inf" ? Infinity : Number(le) * 1000, count: Number(count) }));
}
