/** fast-check settings shared by property tests: FC_RUNS and FC_SEED make runs larger or repeatable. */
import type { Parameters } from "fast-check";

/** `scale` multiplies the runs of a property cheap enough to try more often (FC_RUNS × scale). */
export function fcParams<T>(scale = 1): Parameters<T> {
  const runs = Number(Deno.env.get("FC_RUNS") ?? "200") * scale;
  const seed = Deno.env.get("FC_SEED");
  return seed === undefined ? { numRuns: runs } : { numRuns: runs, seed: Number(seed) };
}
