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

/** Sends `rate` requests per second for `seconds` through `send`, which resolves true on success. */
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
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - start) * rate) / 1000) + 1);
    for (; sent < due; sent++) {
      const dueAt = start + (sent * 1000) / rate;
      inFlight.push(
        send().then(
          (ok) => ok ? void latencies.push(performance.now() - dueAt) : void failed++,
          () => void failed++,
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await Promise.all(inFlight);
  latencies.sort((a, b) => a - b);
  return { sent, ok: latencies.length, failed, latencies, seconds: (performance.now() - start) / 1000 };
}

/** The q-quantile (0…1) of sorted values. */
export function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
