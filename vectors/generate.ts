/**
 * Regenerates the project's vector files: `deno task vectors`.
 * @module
 */
import { buildVectors } from "./_build.ts";

const vectors = await buildVectors();
for (const [name, content] of Object.entries(vectors)) {
  const path = new URL(name, import.meta.url);
  await Deno.writeTextFile(path, JSON.stringify(content, null, 2) + "\n");
  console.log(`wrote vectors/${name}`);
}
