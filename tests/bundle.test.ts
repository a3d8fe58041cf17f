import assert from "node:assert/strict";
import { generateKeyPair, parseVerifierKey } from "../core/keys.ts";
import type { SecuraMemError } from "../core/errors.ts";
import { exportBundle } from "../ledger/export.ts";
import { verifyBundleFile } from "../cli/bundle_file.ts";
import { agentDraft, removeLedger, tempLedger } from "./_ledger.ts";
import { sqlite, unguarded } from "./_tamper.ts";
import { Ledger } from "../ledger/ledger.ts";
import { failureOf } from "./_codes.ts";
import { fcParams } from "./_fc.ts";
import fc from "fast-check";

const ledger = await tempLedger();
for (let batch = 0; batch < 6; batch++) {
  await ledger.appendBatch(Array.from({ length: 500 }, (_, i) => agentDraft(batch * 500 + i)));
}
await ledger.appendBatch([agentDraft(3000), agentDraft(3001)]);
const trusted = [await parseVerifierKey(ledger.verifierKey!)];
const work = await Deno.makeTempDir({ prefix: "smem-bundle-" });

async function exportTo(name: string, range: { from?: number; to?: number } = {}): Promise<string> {
  const path = `${work}/${name}.smemctx`;
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  await exportBundle(ledger, async (chunk) => {
    await file.write(chunk);
  }, range);
  file.close();
  return path;
}

function failure(path: string): Promise<SecuraMemError> {
  return failureWith(path, trusted);
}

async function rewrite(path: string, name: string, change: (lines: string[]) => string[]): Promise<string> {
  const lines = (await Deno.readTextFile(path)).split("\n").slice(0, -1);
  const out = `${work}/${name}.smemctx`;
  await Deno.writeTextFile(out, change(lines).map((line) => `${line}\n`).join(""));
  return out;
}

Deno.test("bundle: whole log and sub-ranges verify offline; export is deterministic", async () => {
  const whole = await exportTo("whole");
  const report = await verifyBundleFile(whole, trusted);
  assert.equal(report.records, 3002);
  assert.equal(report.finalCheckpoint.checkpoint.size, 3002);
  // The first stored checkpoint at or after 1 and after each multiple of 1,024 (500, 1500, 2500),
  // then the final one (3002): not every one of the seven commits' checkpoints.
  assert.equal(report.checkpoints, 4, "intermediate checkpoints about 1,024 records apart");
  const again = await exportTo("whole-again");
  assert.deepEqual(await Deno.readFile(again), await Deno.readFile(whole));
  for (const [from, to] of [[0, 1], [1, 2], [700, 1800], [1000, 1500], [2999, 3002], [1234, 1234]]) {
    const part = await exportTo(`part-${from}-${to}`, { from, to });
    const r = await verifyBundleFile(part, trusted);
    assert.equal(r.records, to - from, `${from}…${to}`);
  }
});

Deno.test("bundle: flipped, dropped, reordered and inserted bytes fail at a line", async () => {
  const whole = await exportTo("base", { from: 700, to: 1800 });
  const lines = (await Deno.readTextFile(whole)).split("\n").slice(0, -1);
  const recAt = lines.findIndex((line) => line.startsWith("rec ")) + 40;
  const cases: [string, (l: string[]) => string[], string, number?][] = [
    [
      "flip a record byte",
      (l) => l.with(recAt, l[recAt].replace(`"i":`, `"j":`)),
      "HASH_MISMATCH",
      recAt + 1,
    ],
    ["drop a record", (l) => l.toSpliced(recAt, 1), "SEQ_GAP", recAt + 2],
    ["swap two records", (l) => l.with(recAt, l[recAt + 2]).with(recAt + 2, l[recAt]), "SEQ_GAP", recAt + 1],
    ["insert a copy", (l) => l.toSpliced(recAt, 0, l[recAt]), "SEQ_GAP", recAt + 2],
    [
      "flip a left node",
      (l) =>
        l.with(
          l.findIndex((x) => x.startsWith("left ")),
          l.find((x) => x.startsWith("left "))!.replace(/[A-Z]/, "q"),
        ),
      "ROOT_MISMATCH",
    ],
    [
      "flip a right node",
      (l) =>
        l.with(
          l.findIndex((x) => x.startsWith("right ")),
          l.find((x) => x.startsWith("right "))!.replace(/[A-Z]/, "q"),
        ),
      "ROOT_MISMATCH",
    ],
    ["truncate", (l) => l.slice(0, -3), "BUNDLE_TRUNCATED"],
    ["drop the end line", (l) => l.slice(0, -1), "BUNDLE_TRUNCATED"],
    ["change the header range", (l) => l.with(0, l[0].replace(`"to":1800`, `"to":1801`)), "BUNDLE_MALFORMED"],
    ["extra space", (l) => l.with(recAt, `${l[recAt]} `), "BUNDLE_MALFORMED", recAt + 1],
    [
      "reordered keys",
      (l) =>
        l.with(
          recAt,
          l[recAt].replace(`{"v":1,"ts_ms":`, `{"ts_ms":`).replace(`,"writer_id"`, `,"v":1,"writer_id"`),
        ),
      "BUNDLE_MALFORMED",
      recAt + 1,
    ],
    [
      "renamed checkpoint signer",
      (l) => l.with(l.length - 2, l[l.length - 2].replace(/ [A-Za-z0-9+/]{10}/, " AAAAAAAAAA")),
      "UNVERIFIED_NOTE",
    ],
    [
      "forged checkpoint signature",
      (l) => l.with(l.length - 2, l[l.length - 2].replace(/[A-Za-z0-9+/]{6}(=\\n"$)/, "AAAAAA$1")),
      "BAD_SIGNATURE",
    ],
  ];
  for (const [name, change, code, line] of cases) {
    const error = await failure(await rewrite(whole, name.replaceAll(" ", "-"), change));
    assert.equal(error.code, code, `${name}: ${error.message}`);
    if (line !== undefined) assert.equal(error.where.line, line, `${name}: ${error.message}`);
    assert.ok(error.where.line !== undefined, `${name} is located`);
  }
  const unterminated = `${work}/unterminated.smemctx`;
  await Deno.writeFile(unterminated, (await Deno.readFile(whole)).subarray(0, -1));
  const cut = await failure(unterminated);
  assert.deepEqual(
    [cut.code, cut.where.line],
    ["BUNDLE_TRUNCATED", lines.length],
    "the final newline dropped",
  );
});

Deno.test("bundle: a line out of place or spelled another way is refused at that line, saying so", async () => {
  const whole = await exportTo("placed", { from: 700, to: 1800 });
  const lines = (await Deno.readTextFile(whole)).split("\n").slice(0, -1);
  const lastRec = lines.findLastIndex((line) => line.startsWith("rec "));
  const midCp = lines.findIndex((line, i) => line.startsWith("cp ") && lines[i + 1]?.startsWith("rec "));
  assert.ok(midCp > 0, "the range holds an intermediate checkpoint");
  const cases: [string, (l: string[]) => string[], number, RegExp][] = [
    [
      "a record beyond the header's range",
      (l) => l.toSpliced(lastRec + 1, 0, l[lastRec]),
      lastRec + 2,
      /more records than the header's range 700…1799/,
    ],
    [
      "a checkpoint one record late",
      (l) => l.with(midCp, l[midCp + 1]).with(midCp + 1, l[midCp]),
      midCp + 2,
      /checkpoint of size \d+ stands where the tree has \d+ leaves/,
    ],
    [
      "a space in the header",
      (l) => l.with(0, l[0].replace(`{"origin"`, `{ "origin"`)),
      1,
      /not in canonical form/,
    ],
    [
      "a checkpoint's newline escaped another way",
      (l) => l.with(midCp, l[midCp].replace("\\n", "\\u000a")),
      midCp + 1,
      /cp line must hold exactly a JSON string/,
    ],
    ["a line after the end line", (l) => [...l, l.at(-1)!], lines.length + 1, /text after the end line/],
  ];
  for (const [name, change, line, message] of cases) {
    const error = await failure(await rewrite(whole, name.replaceAll(" ", "-"), change));
    assert.deepEqual([error.code, error.where.line], ["BUNDLE_MALFORMED", line], `${name}: ${error.message}`);
    assert.match(error.message, message, name);
  }
});

Deno.test("bundle: a record rewritten with a consistent hash fails at the next checkpoint or link", async () => {
  const whole = await exportTo("consistent", { from: 0, to: 3002 });
  const lines = (await Deno.readTextFile(whole)).split("\n").slice(0, -1);
  const last = lines.findLastIndex((line) => line.startsWith("rec "));
  const { loadHasher } = await import("../wasm/hasher.ts");
  const { sealCompleteRecord, sealedText } = await import("../core/record.ts");
  const value = JSON.parse(lines[last].slice(4));
  delete value.self_hash;
  value.reason = "forged";
  const forged = sealCompleteRecord(value, await loadHasher("b3"));
  const error = await failure(
    await rewrite(whole, "forged", (l) => l.with(last, `rec ${sealedText(forged)}`)),
  );
  assert.equal(error.code, "ROOT_MISMATCH");
  assert.ok(error.where.line! > last + 1);
});

Deno.test("bundle: the header and key line hold nothing unsigned; a first-format bundle is named", async () => {
  const whole = await exportTo("tied", { from: 10, to: 20 });
  const lines = (await Deno.readTextFile(whole)).split("\n").slice(0, -1);
  assert.match(lines[0], /^smemctx\/2 \{"origin":"[^"]+","alg":"b3","from":10,"to":20,"size":\d+\}$/);
  const otherKey = (await generateKeyPair(ledger.meta.origin)).verifierKey;
  const swapped = await failure(await rewrite(whole, "other-key", (l) => l.with(1, `key ${otherKey}`)));
  assert.equal(swapped.code, "BUNDLE_MALFORMED");
  assert.equal(
    swapped.where.line,
    lines.length - 1,
    "found at the final checkpoint, which the key did not sign",
  );
  const doubled = await failure(await rewrite(whole, "two-keys", (l) => l.toSpliced(1, 0, l[1])));
  assert.deepEqual([doubled.code, doubled.where.line], ["BUNDLE_MALFORMED", 3]);
  const first = await failure(
    await rewrite(whole, "first-format", (l) => l.with(0, l[0].replace("smemctx/2", "smemctx/1"))),
  );
  assert.match(first.message, /smemctx\/1 bundle: re-export it/);
});

Deno.test("bundle: property: any range verifies; any byte changed in it is refused at its line or after", async () => {
  const path = `${work}/property.smemctx`;
  await fc.assert(
    fc.asyncProperty(
      fc.nat(ledger.size),
      fc.nat(40),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      async (fromPick, span, bytePick, mask) => {
        const from = Math.min(fromPick, ledger.size - 1);
        const to = Math.min(from + span, ledger.size);
        const bundle = await Deno.readFile(await exportTo("property", { from, to }));
        assert.equal((await verifyBundleFile(path, trusted)).records, to - from);
        const at = bytePick % bundle.length;
        const changed = bundle.slice();
        changed[at] ^= mask;
        await Deno.writeFile(path, changed);
        const changedLine = bundle.subarray(0, at).filter((byte) => byte === 0x0a).length + 1;
        const error = await failure(path);
        assert.ok(
          error.where.line !== undefined && error.where.line >= changedLine,
          `byte ${at} of line ${changedLine} ^ ${mask}: ${error.code} at line ${error.where.line}`,
        );
      },
    ),
    fcParams(),
  );
});

Deno.test("bundle: a range outside the log, reversed or not a whole number is refused before writing", async () => {
  const size = ledger.size;
  for (
    const range of [{ from: -1 }, { from: 5, to: 4 }, { to: size + 1 }, { from: 1.5 }, {
      from: 0,
      to: Infinity,
    }]
  ) {
    let written = 0;
    const error = await failureOf(() =>
      exportBundle(ledger, (chunk) => Promise.resolve(void (written += chunk.length)), range)
    );
    assert.deepEqual(
      [error.code, error.message],
      ["BAD_RANGE", `range ${range.from ?? 0}…${range.to ?? size} is outside the log (0…${size})`],
      JSON.stringify(range),
    );
    assert.equal(written, 0, JSON.stringify(range));
  }
});

Deno.test("bundle: cleanup", async () => {
  await removeLedger(ledger);
  await Deno.remove(work, { recursive: true });
});

Deno.test("bundle: --with-blobs carries payloads, checked against their content ids", async () => {
  const withBlobs = await tempLedger();
  const prompt = withBlobs.putBlob(new TextEncoder().encode("a prompt"));
  const answer = withBlobs.putBlob(new TextEncoder().encode("an answer"));
  await withBlobs.appendBatch([
    { kind: "PromptReceived", subject: { content_id: prompt } },
    { kind: "ModelInvoked" },
    { kind: "OutputReturned", subject: { content_id: answer } },
    { kind: "Quoted", subject: { content_id: prompt } },
  ]);
  await withBlobs.eraseBlob(answer, "retention");
  const dir = await Deno.makeTempDir({ prefix: "smem-blobs-" });
  const path = `${dir}/b.smemctx`;
  const file = await Deno.open(path, { write: true, create: true });
  const summary = await exportBundle(withBlobs, async (chunk) => void (await file.write(chunk)), {
    withBlobs: true,
  });
  file.close();
  assert.equal(summary.blobs, 1, "the erased answer cannot be carried; the prompt is carried once");
  const plain = await exportBundle(withBlobs, async () => {});
  assert.equal(plain.blobs, 0, "blobs are carried only when asked for");
  const keys = [await parseVerifierKey(withBlobs.verifierKey!)];
  assert.equal((await verifyBundleFile(path, keys)).blobs, 1);
  const text = await Deno.readTextFile(path);
  const blobLine = text.split("\n").find((line) => line.startsWith("blob "))!;
  await Deno.writeTextFile(`${dir}/bad.smemctx`, text.replace(blobLine, blobLine.slice(0, -4) + "AAA="));
  assert.equal((await failureWith(`${dir}/bad.smemctx`, keys)).code, "BLOB_MISMATCH");
  const lines = text.split("\n");
  const at = lines.indexOf(blobLine);
  const moved = lines.toSpliced(at, 1).toSpliced(at - 1, 0, blobLine).join("\n");
  await Deno.writeTextFile(`${dir}/early.smemctx`, moved);
  assert.equal((await failureWith(`${dir}/early.smemctx`, keys)).code, "BUNDLE_MALFORMED");
  // After the later record that names the same payload: only the blob line's leaf tells it is out of place.
  const quoted = lines.findIndex((line) => line.includes('"kind":"Quoted"'));
  const late = lines.toSpliced(quoted + 1, 0, blobLine).toSpliced(at, 1).join("\n");
  await Deno.writeTextFile(`${dir}/late.smemctx`, late);
  const lateError = await failureWith(`${dir}/late.smemctx`, keys);
  assert.deepEqual(
    [lateError.code, lateError.where.line],
    ["BUNDLE_MALFORMED", quoted + 1],
    "a blob moved after a later record naming the same payload",
  );
  await Deno.remove(dir, { recursive: true });
  await removeLedger(withBlobs);
});

function failureWith(
  path: string,
  keys: Awaited<ReturnType<typeof parseVerifierKey>>[],
): Promise<SecuraMemError> {
  return failureOf(() => verifyBundleFile(path, keys));
}

Deno.test("bundle: written in chunks of whole lines, with progress every 4,096 records; the summary counts them", async () => {
  const many = await tempLedger();
  await many.appendBatch(Array.from({ length: 4100 }, (_, i) => agentDraft(i)));
  const chunks: Uint8Array[] = [];
  const progress: [number, number][] = [];
  const summary = await exportBundle(
    many,
    (chunk) => Promise.resolve(void chunks.push(chunk.slice())),
    {},
    (done, total) => progress.push([done, total]),
  );
  assert.deepEqual(progress, [[4096, 4100], [4100, 4100]]);
  const bytes = new Uint8Array(chunks.flatMap((chunk) => [...chunk]));
  const text = new TextDecoder().decode(bytes);
  assert.equal(summary.bytes, bytes.length);
  assert.equal(summary.lines, text.split("\n").length - 1);
  assert.deepEqual([summary.records, summary.from, summary.to, summary.size], [4100, 0, 4100, 4100]);
  assert.ok(chunks.length > 1, `${chunks.length} chunk(s) for ${text.length} bytes`);
  const longestLine = Math.max(...text.split("\n").map((line) => line.length + 1));
  for (const chunk of chunks) {
    assert.ok(chunk.length < 65_536 + longestLine, `a chunk of ${chunk.length} bytes`);
    assert.equal(chunk.at(-1), 0x0a, "each chunk ends a line");
  }
  await removeLedger(many);
});

Deno.test("bundle: where checkpoints are missing, the range ends at one that exists and carries the rotations it needs", async () => {
  const rotated = await tempLedger();
  await rotated.appendBatch([agentDraft(0), agentDraft(1), agentDraft(2)]);
  const first = await parseVerifierKey(rotated.verifierKey!);
  await rotated.rotateKey();
  await rotated.appendBatch([agentDraft(4), agentDraft(5)]);
  await rotated.append(agentDraft(6));
  const dir = rotated.paths.dir;
  rotated.close();
  // Leaf 3 is the rotation. The checkpoints of 3 (the old key's last), of 4 (the rotation's commit)
  // and the newest (7) go: the next one after leaf 2 is then 6, signed by the new key only.
  sqlite(`${dir}/ledger.db`, unguarded("DELETE FROM checkpoints WHERE size IN (3, 4, 7);"));
  const ledger = await Ledger.open(dir);
  const work = await Deno.makeTempDir({ prefix: "smem-gaps-" });
  try {
    const exported = async (range: { to?: number }) => {
      const path = `${work}/to-${range.to}.smemctx`;
      const file = await Deno.open(path, { write: true, create: true });
      const summary = await exportBundle(ledger, async (chunk) => void (await file.write(chunk)), range);
      file.close();
      return { summary, report: await verifyBundleFile(path, [first]) };
    };
    const newest = await exported({});
    assert.deepEqual([newest.summary.to, newest.summary.size, newest.report.records], [6, 6, 6]);
    const beforeRotation = await exported({ to: 3 });
    assert.deepEqual([beforeRotation.summary.size, beforeRotation.report.records], [6, 3]);
    const uncovered = await failureOf(() => exportBundle(ledger, async () => {}, { to: 7 }));
    assert.deepEqual([uncovered.code, uncovered.message], ["BAD_RANGE", "no checkpoint covers leaf 6 yet"]);
  } finally {
    await Deno.remove(work, { recursive: true });
    await removeLedger(ledger);
  }
});
