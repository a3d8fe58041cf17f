/**
 * `smem status` cold start (issue 4: ≤ 60 ms wall), against `deno run` of an empty script
 * measured in the same run: 20 runs each, alternating, medians. Writes the "cold-start" section
 * of bench/RESULTS.md.
 * @module
 */
import { Ledger } from "../ledger/ledger.ts";
import { machineLine, median, writeResultsSection } from "./_measure.ts";

const root = await Deno.makeTempDir({ prefix: "smem-cold-" });
const ledger = await Ledger.create(`${root}/.securamem`);
await ledger.appendBatch(Array.from({ length: 1000 }, (_, i) => ({ kind: "ToolCalled", attrs: { i } })));
ledger.close();
await Deno.writeTextFile(`${root}/empty.ts`, "");
const main = new URL("../cli/main.ts", import.meta.url).pathname;
const flags = [
  "--quiet",
  "--no-prompt",
  `--allow-read=${root}/.securamem`,
  `--allow-write=${root}/.securamem`,
];

async function wall(args: string[]): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command(Deno.execPath(), { args, cwd: root, stdout: "null", stderr: "piped" })
    .output();
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  return performance.now() - start;
}

const status: number[] = [];
const empty: number[] = [];
await wall(["run", ...flags, main, "status"]);
for (let i = 0; i < 20; i++) {
  status.push(await wall(["run", ...flags, main, "status"]));
  empty.push(await wall(["run", "--quiet", `${root}/empty.ts`]));
}
await Deno.remove(root, { recursive: true });
const statusMs = median(status);
const emptyMs = median(empty);
const md = `
## CLI cold start (issue 4)

Machine: ${machineLine()}. Wall time of a whole process, median of 20 alternating runs, on a
ledger of 1,000 records. Run with \`deno task bench:cold\`.

| command | median | ratio to empty | target |
| --- | ---: | ---: | --- |
| \`deno run\` of an empty script (baseline) | ${emptyMs.toFixed(0)} ms | 1.00× | — |
| \`smem status\` (the binary's permissions) | ${statusMs.toFixed(0)} ms | ${
  (statusMs / emptyMs).toFixed(2)
}× | ≤ 60 ms: ${statusMs <= 60 ? "met" : "**missed**"} |
`;
console.log(md);
writeResultsSection("cold-start", md);
