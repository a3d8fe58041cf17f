import { Ledger } from "../ledger/ledger.ts";
import { sampleDraft } from "./_records.ts";
const dir = await Deno.makeTempDir();
const durability = (Deno.args[0] ?? "full") as "full" | "normal";
const ledger = await Ledger.create(`${dir}/l`, { durability });
const drafts = Array.from({ length: 64 }, (_, i) => sampleDraft(i));
await ledger.appendBatch(Array.from({ length: Number(Deno.env.get("PRE") ?? 5000) }, (_, i) => drafts[i % 64]));
for (let round = 0; round < 3; round++) {
  const lat: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = performance.now();
    await ledger.append(drafts[i % 64]);
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.floor(lat.length * p)].toFixed(3);
  console.log(durability, "p50", q(0.5), "p90", q(0.9), "p99", q(0.99), "p99.9", q(0.999));
}
ledger.close();
await Deno.remove(dir, { recursive: true });
