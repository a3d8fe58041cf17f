/** Loads the vector files the tests share. */
export function loadVector<T>(name: string): T {
  return JSON.parse(Deno.readTextFileSync(new URL(`../vectors/${name}`, import.meta.url)));
}
