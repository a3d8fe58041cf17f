/**
 * Load on `smem serve` (issue 5), run as users run it: a subprocess with exactly its task's
 * permissions, loaded over loopback by autocannon from this process (one core each).
 *   1. single-record POSTs (receipt included) at a fixed 1,000 req/s, open loop: latency
 *      p50/p99 as the client sees it, and as the server's own histogram sees it;
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
import { openLoop, quantile } from "./_open_loop.ts";
import { serve, type Served } from "../tests/_serve_process.ts";
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

// 1. Single-record POSTs at a fixed rate, open loop (latency counted from when each was due).
const single = await serveLedger("single");
const singleBody = JSON.stringify(sampleDraft(1));
const fixed = await openLoop(1000, SECONDS, async () => {
  const response = await fetch(`${single.url}/v1/records`, {
    method: "POST",
    headers: headers(single),
    body: singleBody,
  });
  await response.arrayBuffer();
  return response.status === 201;
});
const serverSide = histogramQuantiles(await (await fetch(`${single.url}/metrics`)).text(), [0.5, 0.99]);
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
subprocess with its task's permissions; autocannon (in the bench process) is the client, so the two
share the 2 cores.

| measure | figure | target |
| --- | ---: | --- |
| single-record POST with receipt, 1,000 req/s offered open-loop for ${SECONDS} s: answered 201 | ${
  formatRate(fixed.ok)
} of ${formatRate(fixed.sent)} (${fixed.failed} failed) | all |
| … latency at the client, p50 / p99 / max | ${ms(quantile(fixed.latencies, 0.5))} / ${
  ms(quantile(fixed.latencies, 0.99))
} / ${ms(fixed.latencies.at(-1) ?? NaN)} ms | p99 ≤ 5 ms: ${verdict(quantile(fixed.latencies, 0.99) <= 5)} |
| … latency in the server (\`audit_append_latency_seconds\` bucket bounds), p50 / p99 | ≤ ${
  serverSide[0]
} / ≤ ${serverSide[1]} ms | — |
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

/** Upper bucket bounds (ms) holding each quantile of the append-latency histogram. */
function histogramQuantiles(metrics: string, quantiles: number[]): string[] {
  const buckets = [...metrics.matchAll(/^audit_append_latency_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)]
    .map(([, le, count]) => ({ le: le === "+Inf" ? Infinity : Number(le) * 1000, count: Number(count) }));
  const total = buckets.at(-1)?.count ?? 0;
  return quantiles.map((q) => String(buckets.find((b) => b.count >= q * total)?.le ?? NaN));
}
