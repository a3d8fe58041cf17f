/**
 * Progress bars: on a terminal (`script`, util-linux), `backup`, `verify`, `export`,
 * `verify-bundle` and `ingest` draw a bar on stderr and clear it before their result; piped or
 * under `--json` they draw nothing.
 */
import assert from "node:assert/strict";
import { createKiBLedger } from "./_ledger.ts";
import { expectExit, onTerminal, runSmem, smemCommandLine } from "./_smem.ts";

const root = await Deno.makeTempDir({ prefix: "smem-progress-" });
const dir = `${root}/ledger`;
const allow = [`--allow-read=${root}`, `--allow-write=${root}`];
const RECORDS = 3000;

await createKiBLedger(dir, "progress.example", RECORDS);

/** What a terminal shows of `smem ARGS --dir LEDGER` (the test's ledger unless given); asserts exit 0. */
async function onTerminalSmem(args: string[], ledgerDir = dir): Promise<string> {
  const run = await onTerminal(smemCommandLine([...args, "--dir", ledgerDir], allow), "");
  assert.equal(run.code, 0, run.output);
  return run.output;
}

/** `label [bar] N% done/total`, the total matched by `total`. */
function barOf(label: string, total: string): RegExp {
  return new RegExp(`\\r${label} \\[[# ]{30}\\] \\d{1,3}% [\\d,]+/${total}`);
}

const CLEAR = "\r\x1b[K";

Deno.test("progress on a terminal: backup counts the snapshot's pages, verify and export the records, verify-bundle and ingest the lines; each bar is cleared before the result", async () => {
  const pages = new Intl.NumberFormat("en-US").format((await Deno.stat(`${dir}/ledger.db`)).size / 8192);
  const backup = await onTerminalSmem(["backup", "--out", `${root}/copy`]);
  assert.match(backup, barOf("backup: pages", pages), "the bar counts the database's pages");
  assert.ok(backup.indexOf(CLEAR) < backup.indexOf("backed up"), backup);

  const records = RECORDS.toLocaleString("en-US");
  const verify = await onTerminalSmem(["verify"]);
  assert.match(verify, barOf("verify", records));
  assert.ok(verify.lastIndexOf(CLEAR) < verify.indexOf(`ok: ${RECORDS} records`), verify);

  const exported = await onTerminalSmem(["export", "--out", `${root}/all.smemctx`]);
  assert.match(exported, barOf("export", records));
  assert.ok(exported.lastIndexOf(CLEAR) < exported.indexOf("wrote"), exported);

  expectExit(
    await runSmem(["keys", "export", "--dir", dir, "--out", `${root}/verifier.key`], { allow }),
    0,
    "keys export",
  );
  const checked = await onTerminalSmem([
    "verify-bundle",
    `${root}/all.smemctx`,
    "--key",
    `${root}/verifier.key`,
  ]);
  assert.match(checked, /\rverify-bundle [\d,]+/, "a count of the bundle's lines: its total is unknown");
  assert.ok(checked.lastIndexOf(CLEAR) < checked.indexOf("ok"), checked);

  const lines = Array.from({ length: 500 }, (_, n) => JSON.stringify({ kind: "ToolCalled", attrs: { n } }));
  await Deno.writeTextFile(`${root}/drafts.ndjson`, `${lines.join("\n")}\n`);
  const fresh = `${root}/fresh`;
  expectExit(await runSmem(["init", "--dir", fresh, "--name", "fresh.example"], { allow }), 0, "init");
  const ingested = await onTerminalSmem(["ingest", `${root}/drafts.ndjson`], fresh);
  assert.match(ingested, /\ringest [\d,]+/);
  assert.ok(ingested.lastIndexOf(CLEAR) < ingested.indexOf("appended"), ingested);
});

Deno.test("progress: nothing drawn under --json on a terminal, nor on a pipe", async () => {
  const json = await onTerminalSmem(["backup", "--out", `${root}/json-copy`, "--json"]);
  assert.equal(json.includes("\r\x1b"), false, json);
  assert.equal(JSON.parse(json.trim()).size, RECORDS);
  const piped = await runSmem(["verify", "--dir", dir], { allow });
  expectExit(piped, 0, "verify on a pipe");
  assert.equal(piped.stderr.includes("\r"), false, piped.stderr);
});

Deno.test("progress tests: remove their ledger", async () => {
  await Deno.remove(root, { recursive: true });
});
