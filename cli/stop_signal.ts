/**
 * Waiting for the signal that stops a server command (`serve`, `witness serve`).
 * @module
 */

/** Resolves with the name of the first SIGINT or SIGTERM the process receives. */
export function stopSignal(): Promise<"SIGINT" | "SIGTERM"> {
  const stopped = Promise.withResolvers<"SIGINT" | "SIGTERM">();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => stopped.resolve(signal));
  }
  return stopped.promise;
}
