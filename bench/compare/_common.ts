/**
 * What the compare runners share: their arguments, the record file and a JSON result line with
 * the process's peak RSS.
 * @module
 */

/** `deno run … runner.ts RECORDS_FILE WORK_DIR`. */
export function runnerArgs(): { recordsFile: string; workDir: string } {
  const [recordsFile, workDir] = Deno.args;
  if (recordsFile === undefined || workDir === undefined) {
    throw new Error("usage: runner RECORDS_FILE WORK_DIR");
  }
  return { recordsFile, workDir };
}

/**
 * The drafts of an NDJSON file, one per line, decoded line by line: 1M records of 1 KiB exceed V8's
 * longest string.
 */
export function readDrafts(path: string): Record<string, unknown>[] {
  const data = Deno.readFileSync(path);
  const decoder = new TextDecoder();
  const drafts: Record<string, unknown>[] = [];
  for (let at = 0; at < data.length;) {
    let end = data.indexOf(10, at);
    if (end < 0) end = data.length;
    if (end > at) drafts.push(JSON.parse(decoder.decode(data.subarray(at, end))));
    at = end + 1;
  }
  return drafts;
}

/** V8 flags of every runner: a million parsed drafts outgrow the default heap. */
export const RUNNER_HEAP_MIB = 12_288;

/** Peak resident set size of this process, MiB (Linux VmHWM). */
export function peakRssMiB(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
  return match === null ? NaN : Number(match[1]) / 1024;
}

/** Prints the runner's result as one JSON line. */
export function report(result: Record<string, number>): void {
  console.log(JSON.stringify({ ...result, peakRssMiB: peakRssMiB() }));
}

/** Median and 99th percentile of latencies in ms. */
export function latencyQuantiles(values: number[]): { p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: sorted[Math.floor(sorted.length / 2)], p99: sorted[Math.floor(sorted.length * 0.99)] };
}

/** Bytes of the files directly in `dir`. */
export function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isFile) total += Deno.statSync(`${dir}/${entry.name}`).size;
  }
  return total;
}

/**
 * Records written one at a time by single-append phases (a sample, not the whole set). Each store
 * makes them after its batched ingest and as many unmeasured ones, so all three are timed in their
 * steady state: a new SQLite WAL, still growing, cost SecuraMem ~0.2 ms an append (bench/RESULTS.md).
 */
export const SINGLE_APPENDS = 1000;
