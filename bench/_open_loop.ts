/**
 * An open-loop load generator: request i is due at start + i/rate, whatever happened to the
 * others, and its latency counts from when it was due (no coordinated omission, as wrk2).
 * @module
 */

/** Outcome of an open-loop run. */
export interface OpenLoopResult {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  /** Latencies of successful requests, ms, sorted. */
  readonly latencies: number[];
  readonly seconds: number;
}

/**
 * Sends `rate` requests per second for `seconds` through `send`, which resolves true on success.
 * The schedule is kept by a worker that sleeps with `Atomics.wait` (~0.1 ms late here) and posts
 * each due time: Deno's timers fire 1–2 ms late, which would send requests in bursts and count the
 * generator's own lateness as latency, and spinning for the time would take a core from the server.
 */
export async function openLoop(
  rate: number,
  seconds: number,
  send: () => Promise<boolean>,
): Promise<OpenLoopResult> {
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  let failed = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  const ticker = new Worker(TICKER_URL, { type: "module" });
  await new Promise<void>((resolve) => {
    ticker.onmessage = ({ data: dueAt }: MessageEvent<number>) => {
      const localDueAt = dueAt - performance.timeOrigin;
      inFlight.push(
        send().then(
          (ok) => ok ? void latencies.push(performance.now() - localDueAt) : void failed++,
          () => void failed++,
        ),
      );
      if (inFlight.length === total) resolve();
    };
    ticker.postMessage({ periodMs: 1000 / rate, count: total });
  });
  ticker.terminate();
  await Promise.all(inFlight);
  latencies.sort((a, b) => a - b);
  return {
    sent: total,
    ok: latencies.length,
    failed,
    latencies,
    seconds: (performance.now() - start) / 1000,
  };
}

/** Posts `count` absolute due times (ms since the epoch, fractional), `periodMs` apart, each when due. */
const TICKER_SOURCE = `
const parked = new Int32Array(new SharedArrayBuffer(4));
self.onmessage = ({ data: { periodMs, count } }) => {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + i * periodMs;
    const wait = due - performance.now();
    if (wait > 0) Atomics.wait(parked, 0, 0, wait);
    self.postMessage(performance.timeOrigin + due);
  }
};`;
const TICKER_URL = URL.createObjectURL(new Blob([TICKER_SOURCE], { type: "text/javascript" }));

/** The q-quantile (0…1) of sorted values. */
export function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
