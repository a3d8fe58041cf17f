/**
 * Several processes on one ledger, and writers killed with SIGKILL mid-ingest. Children run with
 * exactly the permissions a deployed writer has: read and write of the ledger directory.
 */
import assert from "node:assert/strict";
import { Ledger } from "../ledger/ledger.ts";
import { verifyLedger } from "../ledger/verify.ts";
import { assertVerifies, tempLedger } from "./_ledger.ts";
import { spawnWriter } from "./_writer_process.ts";

interface Ack {
  index: number;
  seq: number;
  selfHash: string;
}

function acks(stdout: Uint8Array): Ack[] {
  return new TextDecoder().decode(stdout).split("\n").filter((line) => line.startsWith("ack ")).map(
    (line) => {
      const [, index, seq, selfHash] = line.split(" ");
      return { index: Number(index), seq: Number(seq), selfHash };
    },
  );
}

Deno.test("processes: 4 writers × 5,000 records on one chain never fork or gap it", async () => {
  const ledger = await tempLedger();
  const dir = ledger.paths.dir;
  ledger.close();
  // Batches of 50 go to `records` (moving the tail first); batches of 10 go to the tail.
  const children = [50, 10, 50, 10].map((batch) => spawnWriter(dir, 5000, batch, "shared-agent", "shared"));
  const outputs = await Promise.all(children.map((child) => child.output()));
  for (const out of outputs) assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const all = outputs.flatMap((out) => acks(out.stdout));
  assert.equal(all.length, 20_000);
  assert.deepEqual(
    all.map((a) => a.seq).sort((a, b) => a - b),
    Array.from({ length: 20_000 }, (_, i) => i + 1),
  );
  assert.equal(new Set(all.map((a) => a.index)).size, 20_000);
  const reopened = await Ledger.open(dir);
  assert.equal(reopened.size, 20_000);
  const report = await assertVerifies(reopened);
  assert.equal(report.chains, 1);
  reopened.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("processes: SIGKILL at 20 random moments loses nothing acknowledged", async () => {
  const ledger = await tempLedger();
  const dir = ledger.paths.dir;
  ledger.close();
  const acknowledged: Ack[] = [];
  let seed = 0x5eed;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 20; round++) {
    const child = spawnWriter(dir, 1_000_000, 1 + Math.floor(random() * 20), "crash-writer", "crash");
    await new Promise((resolve) => setTimeout(resolve, 150 + random() * 350));
    child.kill("SIGKILL");
    const out = await child.output();
    assert.equal(out.signal, "SIGKILL");
    acknowledged.push(...acks(out.stdout));
    const reopened = await Ledger.open(dir);
    for (const ack of acknowledged) {
      assert.equal(reopened.record(ack.index).selfHash, ack.selfHash, `acknowledged leaf ${ack.index} lost`);
    }
    const report = await verifyLedger(reopened);
    assert.equal(report.ok, true, `round ${round}: ${report.failure?.message}`);
    reopened.close();
  }
  assert.ok(acknowledged.length > 20, `only ${acknowledged.length} records acknowledged in 20 rounds`);
  await Deno.remove(dir, { recursive: true });
});
