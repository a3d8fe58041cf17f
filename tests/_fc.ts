/** fast-check settings shared by property tests: FC_RUNS and FC_SEED make runs larger or repeatable. */
import type { Parameters } from "fast-check";

export function fcParams<T>(): Parameters<T> {
  const runs = Number(Deno.env.get("FC_RUNS") ?? "200");
  const seed = Deno.env.get("FC_SEED");
  return seed === undefined ? { numRuns: runs } : { numRuns: runs, seed: Number(seed) };
}
