/**
 * The ledger database itself checked by a second implementation: Debian's sqlite3 tool dumps the
 * stored truth (meta, record bodies and self_hash, checkpoints) and the `ledger` command of
 * tests/interop/sumdb_check (Go, sharing no code with SecuraMem) re-derives every record's
 * canonical form and hash, every chain link, and every stored checkpoint's signature and root.
 * Its counts and root match `verifyLedger`'s; tampers made through sqlite3 are refused by both,
 * at the same leaf.
 */
import assert from "node:assert/strict";
import { Ledger } from "../ledger/ledger.ts";
import { verifyLedger } from "../ledger/verify.ts";
import { agentDraft } from "./_ledger.ts";
import { sumdbCheck, sumdbPasses } from "./_sumdb_check.ts";
import { sqlite, unguarded } from "./_tamper.ts";
import { withTrickyLedger, writeTemp } from "./_tricky_ledger.ts";

const RECORD_COLUMNS = "leaf, lower(hex(self_hash)) AS self_hash, CAST(body AS TEXT) AS body";

/** What the Go checker reads, as sqlite3 prints it. */
const DUMP_QUERIES: Readonly<Record<string, string>> = {
  "meta.json": "SELECT key, value FROM meta",
  "records.json":
    `SELECT ${RECORD_COLUMNS} FROM records UNION ALL SELECT ${RECORD_COLUMNS} FROM recent ORDER BY leaf`,
  "checkpoints.json": "SELECT size, note FROM checkpoints ORDER BY size",
};

/** Dumps the database at `db` into a new directory under `work` with `sqlite3 -json`; the directory. */
async function dump(db: string, work: string): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: work, prefix: "dump-" });
  for (const [name, sql] of Object.entries(DUMP_QUERIES)) {
    const out = await new Deno.Command("sqlite3", { args: ["-readonly", "-json", db, sql], stdout: "piped" })
      .output();
    assert.equal(out.code, 0, `sqlite3 ${sql}`);
    await Deno.writeFile(`${dir}/${name}`, out.stdout);
  }
  return dir;
}

/** A copy of the live database (WAL included) as a ledger directory of its own, taken by sqlite3. */
async function copyOf(db: string, work: string): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: work, prefix: "copy-" });
  sqlite(db, `VACUUM INTO '${dir}/ledger.db'`);
  return dir;
}

/** A ledger with records in both tables, a payload blob and its erasure, and a key rotation. */
async function addVariety(ledger: Ledger): Promise<void> {
  const contentId = ledger.putBlob(new TextEncoder().encode("the prompt, kept off-chain"));
  await ledger.append({ kind: "PromptReceived", subject: { content_id: contentId } });
  await ledger.appendBatch(Array.from({ length: 600 }, (_, i) => agentDraft(i)));
  await ledger.eraseBlob(contentId, "retention");
  await ledger.rotateKey();
  for (let i = 0; i < 3; i++) await ledger.append(agentDraft(i));
}

Deno.test("Go checks the ledger database sqlite3 dumps: the same records, checkpoints, chains and root as verify, both algorithms", async () => {
  for (const alg of ["b3", "sha256"] as const) {
    await withTrickyLedger(alg, async (ledger, { work }) => {
      await addVariety(ledger);
      const keys = await writeTemp(work, "all-keys", `${ledger.verifierKeys().join("\n")}\n`);
      const checked = JSON.parse(await sumdbPasses("ledger", keys, await dump(ledger.paths.db, work)));
      const ours = await verifyLedger(ledger);
      assert.equal(ours.ok, true);
      const latest = ledger.latestCheckpoint().checkpoint;
      assert.deepEqual(checked, {
        origin: ledger.meta.origin,
        size: ledger.size,
        records: ours.recordsChecked,
        checkpoints: ours.checkpointsChecked,
        chains: ours.chains,
        root: latest.root.toBase64(),
      });
      assert.equal(latest.size, ledger.size);
    });
  }
});

Deno.test("Go and verify refuse the same tampers made through sqlite3, at the same leaf", async () => {
  await withTrickyLedger("b3", async (ledger, { work }) => {
    await addVariety(ledger);
    const keys = await writeTemp(work, "all-keys", `${ledger.verifierKeys().join("\n")}\n`);
    const inRecords = 100;
    const inRecent = ledger.size - 2;
    const held = (table: string, leaf: number) =>
      new Deno.Command("sqlite3", {
        args: [ledger.paths.db, `SELECT count(*) FROM ${table} WHERE leaf = ${leaf}`],
      })
        .outputSync();
    assert.equal(new TextDecoder().decode(held("records", inRecords).stdout).trim(), "1");
    assert.equal(new TextDecoder().decode(held("recent", inRecent).stdout).trim(), "1");
    const rename = (table: string, leaf: number) =>
      unguarded(
        `UPDATE ${table} SET body = CAST(replace(CAST(body AS TEXT), '"kind":"', '"kind":"X') AS BLOB) WHERE leaf = ${leaf};`,
      );
    // What an attacker holding no key can make: the chain's true next record (hashes are public),
    // appended here by a copy that signs it; only the row is taken, its checkpoint left behind.
    const forgedDir = await copyOf(ledger.paths.db, work);
    await Deno.copyFile(ledger.paths.signerKey, `${forgedDir}/signer.key`);
    const forger = await Ledger.open(forgedDir);
    await forger.append(agentDraft(7));
    forger.close();
    const forged = `${await copyOf(`${forgedDir}/ledger.db`, work)}/ledger.db`;
    const cases: { name: string; sql: string; go: RegExp; leaf?: number }[] = [
      {
        name: "a byte of a record changed",
        sql: rename("records", inRecords),
        go: /leaf 100: self_hash is .*; the canonical bytes hash to /,
        leaf: 100,
      },
      {
        name: "a byte of a record in the tail changed",
        sql: rename("recent", inRecent),
        go: new RegExp(`leaf ${inRecent}: self_hash is .*; the canonical bytes hash to `),
        leaf: inRecent,
      },
      {
        name: "a record deleted",
        sql: unguarded(`DELETE FROM records WHERE leaf = ${inRecords};`),
        go: /leaf 100: the next stored leaf is 101/,
        leaf: 100,
      },
      {
        name: "two records of one chain swapped",
        sql: unguarded(
          `UPDATE records SET leaf = -1 WHERE leaf = 100; UPDATE records SET leaf = 100 WHERE leaf = 102; UPDATE records SET leaf = 102 WHERE leaf = -1;`,
        ),
        go: /leaf 100: chain .* seq \d+ where the chain expects \d+/,
        leaf: 100,
      },
      {
        name: "a valid next record inserted at the end, which no checkpoint covers",
        sql: unguarded(
          `ATTACH '${forged}' AS forged; INSERT INTO recent SELECT * FROM forged.records WHERE leaf = ${ledger.size} UNION ALL SELECT * FROM forged.recent WHERE leaf = ${ledger.size};`,
        ),
        go: new RegExp(`leaf ${ledger.size}: no stored checkpoint covers it`),
        leaf: ledger.size,
      },
      {
        name: "a checkpoint's root replaced",
        sql: unguarded(
          `UPDATE checkpoints SET note = replace(note, substr(note, instr(note, char(10)) + 1 + length(size) + 1, 44), '${
            "A".repeat(43)
          }=') WHERE size = 30;`,
        ),
        go: /checkpoint at size 30: /,
      },
    ];
    for (const { name, sql, go, leaf } of cases) {
      const copy = await copyOf(ledger.paths.db, work);
      sqlite(`${copy}/ledger.db`, sql);
      const checked = await sumdbCheck("ledger", keys, await dump(`${copy}/ledger.db`, work));
      assert.equal(checked.code, 1, `${name}: Go passed it`);
      assert.match(checked.stderr, go, `${name}: ${checked.stderr}`);
      const opened = await Ledger.open(copy);
      try {
        const ours = await verifyLedger(opened);
        assert.equal(ours.ok, false, `${name}: verify passed it`);
        if (leaf !== undefined) {
          assert.equal(ours.failure?.where.leafIndex, leaf, `${name}: ${ours.failure?.message}`);
        }
      } finally {
        opened.close();
      }
    }
  });
});
