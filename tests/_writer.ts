/**
 * Child process of the concurrency and crash tests: appends records to an existing ledger and
 * prints `ack <index> <seq> <self_hash>` only after each append has returned (is durable).
 * Usage: _writer.ts DIR COUNT BATCH WRITER STREAM
 */
import { Ledger } from "../ledger/ledger.ts";

const [dir, countText, batchText, writer, stream] = Deno.args;
const count = Number(countText);
const batch = Number(batchText);
const ledger = await Ledger.open(dir, { writerId: writer });
const encoder = new TextEncoder();
for (let done = 0; done < count; done += batch) {
  const drafts = Array.from({ length: Math.min(batch, count - done) }, (_, i) => ({
    kind: "ToolCalled",
    stream,
    attrs: { n: done + i, pid: Deno.pid },
  }));
  const results = await ledger.appendBatch(drafts);
  const lines = results.map((r) => `ack ${r.index} ${r.seq} ${r.selfHash}\n`).join("");
  Deno.stdout.writeSync(encoder.encode(lines));
}
ledger.close();
