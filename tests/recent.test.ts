/** The unindexed tail (`recent`): where small commits land, when it moves, and that reads and verify see it. */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import { Ledger } from "../ledger/ledger.ts";
import { RECENT_LIMIT, TIDY_AT, TIDY_ROWS } from "../ledger/recent.ts";
import { verifyLedger } from "../ledger/verify.ts";
import type { QueryFilter } from "../ledger/query.ts";
import type { RecordDraft } from "../core/record.ts";
import { agentDraft, assertVerifies, removeLedger, tempLedger } from "./_ledger.ts";
import { expectFailure, sqlite, unguarded } from "./_tamper.ts";
import { fcParams } from "./_fc.ts";

/** Rows in `table` of the ledger's database. */
function rowsIn(ledger: Ledger, table: "records" | "recent"): number {
  return (ledger.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

/** The i-th draft: varied stream, kind, actor and subject, with its seq in its (alternating) stream. */
function draft(i: number): RecordDraft {
  return agentDraft(i, { subject: { name: `doc-${i % 5}` }, writer_id: "agent-9", seq: (i >> 1) + 1 });
}

const APPENDS = RECENT_LIMIT + 44;

Deno.test("recent: single appends fill the tail, the first past its limit moves it, and every read sees both tables", async () => {
  const ledger = await tempLedger();
  try {
    const drafts = Array.from({ length: APPENDS }, (_, i) => draft(i));
    const first: number[] = [];
    for (const [i, d] of drafts.entries()) {
      await ledger.append(d);
      if (i === RECENT_LIMIT - 1) first.push(rowsIn(ledger, "records"), rowsIn(ledger, "recent"));
    }
    assert.deepEqual(first, [0, RECENT_LIMIT], "the tail took every append up to its limit");
    assert.deepEqual([rowsIn(ledger, "records"), rowsIn(ledger, "recent")], [
      RECENT_LIMIT,
      APPENDS - RECENT_LIMIT,
    ]);
    const texts = Array.from({ length: ledger.size }, (_, leaf) => ledger.record(leaf).text);
    const parsed = texts.map((text) => JSON.parse(text));
    const filters: [QueryFilter, (r: Record<string, unknown>, leaf: number) => boolean][] = [
      [{ stream: "agent" }, (r) => r.stream === "agent"],
      [{ kind: "ToolCalled" }, (r) => r.kind === "ToolCalled"],
      [{ actor: "u-1" }, (r) => (r.actor as { user_id?: string } | null)?.user_id === "u-1"],
      [{ subject: "doc-3" }, (r) => (r.subject as { name?: string } | null)?.name === "doc-3"],
      [
        { fromIndex: RECENT_LIMIT - 6, toIndex: RECENT_LIMIT + 6 },
        (_, leaf) => leaf >= RECENT_LIMIT - 6 && leaf < RECENT_LIMIT + 6,
      ],
      [
        { writerId: "agent-9", kind: "ModelInvoked" },
        (r) => r.writer_id === "agent-9" && r.kind === "ModelInvoked",
      ],
    ];
    for (const [filter, holds] of filters) {
      const expected = parsed.flatMap((r, leaf) => holds(r, leaf) ? [leaf] : []);
      assert.ok(expected.some((leaf) => leaf > RECENT_LIMIT), `${JSON.stringify(filter)} reaches the tail`);
      const found: number[] = [];
      let after: number | undefined;
      do {
        const page = ledger.query({ ...filter, limit: 7, after });
        found.push(...page.records.map((r) => r.index));
        after = page.next;
      } while (after !== undefined);
      assert.deepEqual(found, expected, JSON.stringify(filter));
    }
    const streamed = [...ledger.records(RECENT_LIMIT - 2, RECENT_LIMIT + 3)].map((r) => r.index);
    assert.deepEqual(streamed, [-2, -1, 0, 1, 2].map((d) => RECENT_LIMIT + d));
    for (const i of [3, APPENDS - 2]) {
      const again = await ledger.append(drafts[i]!);
      assert.equal(
        again.replayed,
        true,
        `draft ${i} replays from ${i < RECENT_LIMIT ? "records" : "recent"}`,
      );
      assert.equal(again.index, i);
    }
    assert.equal(ledger.size, APPENDS);
    for (const workers of [1, 2]) {
      const report = await assertVerifies(ledger, { workers });
      assert.equal(report.recordsChecked, APPENDS);
    }
    const batch = await ledger.appendBatch(Array.from({ length: 40 }, (_, i) => draft(APPENDS + i)));
    assert.equal(batch.length, 40);
    assert.deepEqual(
      [rowsIn(ledger, "records"), rowsIn(ledger, "recent")],
      [APPENDS + 40, 0],
      "a batch over the tail's share moves the tail first and goes to records itself",
    );
  } finally {
    await removeLedger(ledger);
  }
});

/** Lets the ledger's idle work (one turn of the event loop per step) run. */
function idleTurns(turns: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, turns));
}

Deno.test("recent: between appends an idle ledger moves the tail's oldest rows a few at a time", async () => {
  const ledger = await tempLedger();
  try {
    const appends = TIDY_AT * 3;
    for (let i = 0; i < appends; i++) {
      await ledger.append(draft(i));
      await idleTurns(1);
      assert.ok(rowsIn(ledger, "recent") < TIDY_AT, `after append ${i} the tail holds under ${TIDY_AT} rows`);
    }
    const recent = rowsIn(ledger, "recent");
    assert.ok(recent >= TIDY_AT - TIDY_ROWS, "idle moves take the oldest rows only");
    assert.equal(rowsIn(ledger, "records"), appends - recent);
    const tail = ledger.db.prepare("SELECT min(leaf) AS first FROM recent").get() as { first: number };
    assert.equal(tail.first, appends - recent, "the tail is still the newest leaves");
    await assertVerifies(ledger);
  } finally {
    await removeLedger(ledger);
  }
});

Deno.test("recent: idle moves never wait for another connection's write lock", async () => {
  const ledger = await tempLedger();
  const other = new DatabaseSync(`${ledger.paths.dir}/ledger.db`);
  try {
    const busyTimeout = () => (ledger.db.prepare("PRAGMA busy_timeout").get() as { timeout: number }).timeout;
    const timeout = busyTimeout();
    assert.ok(timeout >= 1000);
    for (let i = 0; i < TIDY_AT + 8; i++) await ledger.append(draft(i));
    other.exec("BEGIN IMMEDIATE"); // before the idle step the last append scheduled
    const started = performance.now();
    await idleTurns(5);
    assert.ok(performance.now() - started < 500, "the idle step gave up at once");
    assert.equal(
      rowsIn(ledger, "recent"),
      TIDY_AT + 8,
      "nothing moved while another connection held the lock",
    );
    assert.equal(busyTimeout(), timeout, "the busy timeout is restored");
    other.exec("ROLLBACK");
    await ledger.append(draft(TIDY_AT + 8));
    await idleTurns(5);
    assert.ok(rowsIn(ledger, "recent") < TIDY_AT, "the next idle turn moved the tail down");
    assert.equal((await verifyLedger(ledger)).ok, true);
  } finally {
    other.close();
    await removeLedger(ledger);
  }
});

Deno.test("recent: an idle move that fails rolls back whole, escapes nowhere and leaves the busy timeout", async () => {
  const ledger = await tempLedger();
  const other = new DatabaseSync(`${ledger.paths.dir}/ledger.db`);
  try {
    const timeout = (ledger.db.prepare("PRAGMA busy_timeout").get() as { timeout: number }).timeout;
    for (let i = 0; i < TIDY_AT + 8; i++) await ledger.append(draft(i));
    // A row for the oldest tail leaf with other bytes: the move's copy then fails on the leaf key.
    other.exec(
      "INSERT INTO records SELECT leaf, x'00', self_hash, writer_id, stream, seq, ts_ms, kind, actor_key, subject_tag " +
        "FROM recent ORDER BY leaf LIMIT 1",
    );
    await idleTurns(5);
    assert.equal(rowsIn(ledger, "recent"), TIDY_AT + 8, "the failed move left the tail whole");
    assert.equal(rowsIn(ledger, "records"), 1);
    assert.equal((ledger.db.prepare("PRAGMA busy_timeout").get() as { timeout: number }).timeout, timeout);
  } finally {
    other.close();
    await removeLedger(ledger);
  }
});

Deno.test("recent: a process killed with rows in the tail leaves a ledger that opens, verifies and moves them on; readers never move it", async () => {
  const ledger = await tempLedger();
  try {
    for (let i = 0; i < 12; i++) await ledger.append(draft(i));
    const dir = ledger.paths.dir;
    // Not closed: the tail stays where a killed process would leave it.
    const reader = await Ledger.open(dir);
    assert.equal((await verifyLedger(reader)).ok, true);
    reader.close();
    const second = await Ledger.open(dir);
    try {
      assert.equal(rowsIn(second, "recent"), 12, "a ledger that only read leaves the tail where it was");
      await assertVerifies(second);
      await second.appendBatch(Array.from({ length: 50 }, (_, i) => draft(12 + i)));
      assert.deepEqual([rowsIn(second, "records"), rowsIn(second, "recent")], [62, 0]);
      assert.equal((await verifyLedger(second)).ok, true);
    } finally {
      second.close();
    }
  } finally {
    await removeLedger(ledger);
  }
});

Deno.test("tamper: rows changed, removed or doubled in the tail give precise errors", async () => {
  const cases: [string, string, number][] = [
    ["UPDATE recent SET kind = 'X' WHERE leaf = 4;", "INDEX_MISMATCH", 4],
    [
      "UPDATE recent SET body = CAST(replace(CAST(body AS TEXT), '\"i\":6', '\"i\":7') AS BLOB) WHERE leaf = 6;",
      "HASH_MISMATCH",
      6,
    ],
    ["DELETE FROM recent WHERE leaf = 7;", "LEAF_GAP", 7],
    ["INSERT INTO records SELECT * FROM recent WHERE leaf = 5;", "DUPLICATE_LEAF", 5],
  ];
  for (const [sql, code, leaf] of cases) {
    const ledger = await tempLedger();
    try {
      for (let i = 0; i < 10; i++) await ledger.append(draft(i));
      assert.equal(rowsIn(ledger, "recent"), 10);
      sqlite(ledger.paths.db, unguarded(sql));
      for (const workers of [1, 2]) expectFailure(await verifyLedger(ledger, { workers }), code, leaf);
    } finally {
      await removeLedger(ledger);
    }
  }
});

/** One step of the property test below. */
type Step = { op: "single" } | { op: "group"; size: number } | { op: "batch"; size: number } | {
  op: "reopen";
};

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ op: "single" }),
  fc.integer({ min: 2, max: 40 }).map((size): Step => ({ op: "group", size })),
  fc.integer({ min: 1, max: 80 }).map((size): Step => ({ op: "batch", size })),
  fc.constant<Step>({ op: "reopen" }),
);

Deno.test("recent: any mix of appends, batches, group commits and reopens keeps each leaf in one table, the tail newest, and reads whole", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
      let ledger = await tempLedger({ durability: "normal" });
      let next = 0;
      const take = (n: number) => Array.from({ length: n }, () => draft(next++));
      try {
        for (const s of steps) {
          if (s.op === "single") await ledger.append(take(1)[0]);
          if (s.op === "group") await Promise.all(take(s.size).map((d) => ledger.append(d)));
          if (s.op === "batch") await ledger.appendBatch(take(s.size));
          if (s.op === "reopen") {
            ledger.close();
            ledger = await Ledger.open(ledger.paths.dir, { durability: "normal" });
          }
        }
        assert.equal(ledger.size, next);
        const tail = ledger.db.prepare("SELECT leaf FROM recent ORDER BY leaf").all().map((r) => r.leaf);
        assert.deepEqual(
          tail,
          Array.from({ length: tail.length }, (_, i) => next - tail.length + i),
          "the newest leaves",
        );
        assert.equal(rowsIn(ledger, "records") + tail.length, next, "each leaf in exactly one table");
        const kinds = Array.from(
          { length: next },
          (_, leaf) => JSON.parse(ledger.record(leaf).text).kind as string,
        );
        const found = ledger.query({ kind: "ToolCalled", limit: 10_000 }).records.map((r) => r.index);
        assert.deepEqual(found, kinds.flatMap((kind, leaf) => kind === "ToolCalled" ? [leaf] : []));
        await assertVerifies(ledger, { workers: 1 });
      } finally {
        await removeLedger(ledger);
      }
    }),
    { ...fcParams(), numRuns: Math.min(fcParams().numRuns ?? 200, 25) },
  );
});
