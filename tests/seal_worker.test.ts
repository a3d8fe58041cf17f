import assert from "node:assert/strict";
import fc from "fast-check";
import { DIGEST_BYTES } from "../core/hash.ts";
import { SecuraMemError } from "../core/errors.ts";
import { type ChainHead, genesisHead, type RecordDraft } from "../core/record.ts";
import { chainKey, type SealOutcome } from "../ledger/chain_sealer.ts";
import { type AppendResult, Ledger, SEAL_WORKER_MIN } from "../ledger/ledger.ts";
import { verifyLedger } from "../ledger/verify.ts";
import { SealWorker } from "../ledger/seal_pool.ts";
import { packOutcomes, unpackOutcomes } from "../ledger/seal_outcomes.ts";
import { fcParams } from "./_fc.ts";
import { agentDraft, removeLedger, tempLedger } from "./_ledger.ts";

const BATCH = SEAL_WORKER_MIN * 2 + 45;

/** Runs `body` on two ledgers with the same clock, one sealing large batches in the worker, one in line. */
async function bothWays(body: (ledger: Ledger) => Promise<unknown>): Promise<[unknown, unknown]> {
  const results: unknown[] = [];
  for (const sealWorker of [true, false]) {
    let sealedInWorker = 0;
    const ledger = await tempLedger({
      sealWorker,
      onCommit: (commit) => sealedInWorker += commit.sealedInWorker,
    });
    try {
      results.push(await body(ledger));
    } finally {
      await removeLedger(ledger);
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(sealedInWorker > 0, sealWorker, `drafts sealed in the worker: ${sealedInWorker}`);
  }
  return [results[0], results[1]];
}

/** The error a call fails with, as code, item and message; or its results. */
async function outcome(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await fn() };
  } catch (error) {
    if (!(error instanceof SecuraMemError)) throw error;
    return { code: error.code, item: error.where.item, message: error.message };
  }
}

function withoutCheckpoint(results: readonly AppendResult[]) {
  return results.map(({ index, writerId, stream, seq, selfHash, replayed }) => ({
    index,
    writerId,
    stream,
    seq,
    selfHash,
    replayed,
  }));
}

Deno.test("seal worker: a large batch gives the same records, receipts and root as sealing in line", async () => {
  const drafts = Array.from(
    { length: BATCH },
    (_, i) => agentDraft(i, { subject: { content_id: `c-${i % 7}` } }),
  );
  const [viaWorker, inLine] = await bothWays(async (ledger) => {
    const first = await ledger.appendBatch(drafts.slice(0, 10));
    const large = await ledger.appendBatch(drafts.slice(10));
    assert.equal((await verifyLedger(ledger)).ok, true);
    return {
      results: withoutCheckpoint([...first, ...large]),
      bodies: [...ledger.records(0, ledger.size)].map((r) => r.text + r.selfHash),
      root: ledger.rootAt().toHex(),
      subject: ledger.query({ subject: "c-3" }).records.map((r) => r.index),
    };
  });
  assert.deepEqual(viaWorker, inLine);
  const { results, subject } = viaWorker as { results: AppendResult[]; subject: number[] };
  assert.equal(results.length, BATCH);
  assert.ok(results.every((r, i) => r.index === i && !r.replayed));
  assert.equal(results.at(-1)?.seq, BATCH / 2 + 0.5, "two chains, each continued across the batches");
  assert.equal(subject.length, Math.ceil((BATCH - 3) / 7));
});

Deno.test("seal worker: replays, CONFLICT and SEQ_GAP deep in a large batch, as in line", async () => {
  const drafts = Array.from({ length: BATCH }, (_, i) => agentDraft(i, { stream: "one" }));
  const [viaWorker, inLine] = await bothWays(async (ledger) => {
    const stored = await ledger.appendBatch(drafts);
    const replay = drafts.map((d, i) => ({ ...d, seq: i + 1 }));
    const replayed = await ledger.appendBatch(replay);
    assert.deepEqual(replayed.map((r) => r.index), stored.map((r) => r.index));
    assert.ok(replayed.every((r) => r.replayed));
    const conflict = await outcome(() =>
      ledger.appendBatch(replay.with(200, { ...replay[200], reason: "x" }))
    );
    const gap = await outcome(() =>
      ledger.appendBatch([...replay, ...drafts.slice(0, 150).map((d, i) => ({ ...d, seq: BATCH + 2 + i }))])
    );
    const mixed = await ledger.appendBatch([...replay.slice(BATCH - 100), ...drafts.slice(0, 100)]);
    return { conflict, gap, size: ledger.size, mixed: withoutCheckpoint(mixed) };
  });
  assert.deepEqual(viaWorker, inLine);
  const { conflict, gap, size } = viaWorker as Record<string, { code: string; item: number }> & {
    size: number;
  };
  assert.deepEqual([conflict.code, conflict.item], ["CONFLICT", 200]);
  assert.deepEqual([gap.code, gap.item], ["SEQ_GAP", BATCH]);
  assert.equal(size, BATCH + 100, "failed batches wrote nothing");
});

Deno.test("seal worker: a bad draft deep in a large batch fails with its own error and item; nothing is written", async () => {
  const good = Array.from({ length: BATCH }, (_, i) => agentDraft(i));
  const bad: [string, RecordDraft][] = [
    ["float", { ...good[250], attrs: { x: 1.5 } }],
    ["no kind", { stream: "s" } as RecordDraft],
    ["too large", { ...good[250], attrs: { note: "n".repeat(5000) } }],
    ["stream not a string", { ...good[250], stream: 5 as unknown as string }],
    ["not cloneable", { ...good[250], attrs: { f: (() => 1) as unknown as string } }],
  ];
  const [viaWorker, inLine] = await bothWays(async (ledger) => {
    const failures: unknown[] = [];
    for (const [, draft] of bad) {
      failures.push(await outcome(() => ledger.appendBatch(good.with(250, draft))));
    }
    assert.equal(ledger.size, 0);
    const after = await ledger.appendBatch(good);
    return { failures, after: withoutCheckpoint(after) };
  });
  assert.deepEqual(viaWorker, inLine);
  const { failures } = viaWorker as { failures: { code: string; item: number }[] };
  failures.forEach((failure, i) => {
    assert.equal(failure.item, 250, bad[i][0]);
    assert.ok(failure.code.length > 0, bad[i][0]);
  });
});

Deno.test("seal worker: runs under the CLI's permissions; a process that never closed the ledger still exits", async () => {
  const dir = await Deno.makeTempDir({ prefix: "smem-test-" });
  const script = `
    import { Ledger } from ${JSON.stringify(new URL("../ledger/ledger.ts", import.meta.url).href)};
    let sealedInWorker = 0;
    const ledger = await Ledger.create(${JSON.stringify(`${dir}/ledger`)}, {
      onCommit: (commit) => sealedInWorker += commit.sealedInWorker,
    });
    const results = await ledger.appendBatch(Array.from({ length: 500 }, (_, i) => ({ kind: "K", attrs: { i } })));
    await new Promise((resolve) => setTimeout(resolve, 0));
    console.log(results.length, sealedInWorker);`;
  await Deno.writeTextFile(`${dir}/append.ts`, script);
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      ...["--no-prompt", "--deny-net", "--deny-run", "--deny-ffi", "--deny-sys", "--deny-env"],
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      `${dir}/append.ts`,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.equal(new TextDecoder().decode(output.stdout).trim(), "500 500", "all 500 sealed in the worker");
  const ledger = await Ledger.open(`${dir}/ledger`);
  assert.equal(ledger.size, 500);
  assert.equal((await verifyLedger(ledger)).ok, true);
  ledger.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("seal worker: closed in the middle of a job, it ends the job early instead of hanging", async () => {
  const worker = await SealWorker.start();
  const drafts = Array.from({ length: 1000 }, (_, i) => agentDraft(i));
  const start = {
    alg: "b3" as const,
    context: { defaults: { tsMs: 1, writerId: "w" }, bounds: { maxRecordBytes: 4096, maxAttrsBytes: 1024 } },
    heads: ["agent", "tools"].map((stream) =>
      [chainKey("w", stream), genesisHead("b3")] as [string, ChainHead]
    ),
  };
  let received = 0;
  for await (const outcomes of worker.seal(drafts, start)) {
    received += outcomes.length;
    worker.close();
  }
  assert.ok(received > 0 && received < drafts.length, `${received} outcomes`);
  assert.equal(worker.running, false);
});

Deno.test("seal outcomes property: packed for the worker boundary and unpacked, outcomes come back as they were", () => {
  const text = fc.string({ unit: "grapheme", maxLength: 20 });
  const count = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
  const record = { noNullPrototype: true };
  const replay = fc.record(
    { replay: fc.constant(true as const), writerId: text, stream: text, seq: count },
    record,
  );
  const sealed = fc.record({
    replay: fc.constant(false as const),
    bytes: fc.uint8Array({ maxLength: 64 }),
    digest: fc.uint8Array({ minLength: DIGEST_BYTES, maxLength: DIGEST_BYTES }),
    selfHash: text,
    columns: fc.record({
      writer_id: text,
      stream: text,
      seq: count,
      ts_ms: count,
      kind: text,
      actor_key: fc.option(text, { nil: null }),
      subject_tag: fc.option(count, { nil: null }),
    }, record),
    subjectKey: fc.option(text, { nil: null }),
  }, record);
  fc.assert(
    fc.property(fc.array(fc.oneof(replay, sealed), { maxLength: 12 }), (outcomes: SealOutcome[]) => {
      const packed = structuredClone(packOutcomes(outcomes));
      assert.deepEqual(unpackOutcomes(packed), outcomes);
    }),
    fcParams(),
  );
});
