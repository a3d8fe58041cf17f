// hypercore's side of `deno task bench:compare`, run under Node from bench/peers/ (its own
// package.json): appends 1,000 per call, then one by one, to disk storage, then a second core
// replicates from the first and reads every block, each verified against the signed Merkle tree.
// Usage: node hypercore.mjs RECORDS_FILE WORK_DIR SINGLE_APPENDS
import { readFileSync } from "node:fs";
import Hypercore from "hypercore";

const [recordsFile, workDir, singleArg] = process.argv.slice(2);
const singleAppends = Number(singleArg);
const blocks = lines(readFileSync(recordsFile));

// The file's lines as Buffers, without decoding it to one string (1M records of 1 KiB exceed V8's longest string).
function lines(data) {
  const out = [];
  for (let at = 0; at < data.length;) {
    let end = data.indexOf(10, at);
    if (end < 0) end = data.length;
    if (end > at) out.push(data.subarray(at, end));
    at = end + 1;
  }
  return out;
}

const writer = new Hypercore(`${workDir}/hypercore-writer`);
await writer.ready();

let start = performance.now();
for (let i = 0; i < blocks.length; i += 1000) await writer.append(blocks.slice(i, i + 1000));
const batched = blocks.length / ((performance.now() - start) / 1000);

// singleAppends unmeasured, then singleAppends timed, as the others do.
const latencies = [];
for (let i = 0; i < 2 * singleAppends; i++) {
  if (i === singleAppends) start = performance.now();
  const t = performance.now();
  await writer.append(blocks[i]);
  if (i >= singleAppends) latencies.push(performance.now() - t);
}
const singleRate = singleAppends / ((performance.now() - start) / 1000);
latencies.sort((a, b) => a - b);

const reader = new Hypercore(`${workDir}/hypercore-reader`, writer.key);
await reader.ready();
const a = writer.replicate(true);
const b = reader.replicate(false);
a.pipe(b).pipe(a);
start = performance.now();
const total = writer.length;
await reader.update({ wait: true });
await reader.download({ start: 0, end: total }).done();
for (let i = 0; i < total; i++) await reader.get(i, { wait: false });
const verifiedRead = total / ((performance.now() - start) / 1000);
await reader.close();
await writer.close();

const status = readFileSync("/proc/self/status", "utf8");
const peakRssMiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024;
console.log(JSON.stringify({
  singleRate,
  singleP50: latencies[Math.floor(latencies.length / 2)],
  singleP99: latencies[Math.floor(latencies.length * 0.99)],
  batched,
  verifiedRead,
  peakRssMiB,
}));
