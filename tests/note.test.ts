import assert from "node:assert/strict";
import fc from "fast-check";
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from "../core/checkpoint.ts";
import { generateKeyPair, parseSignerKey, parseVerifierKey } from "../core/keys.ts";
import { cosignNote, openNote, signNote } from "../core/note.ts";
import { fcParams } from "./_fc.ts";
import { loadVector } from "./_vectors.ts";
import { codeOf } from "./_codes.ts";

interface NoteVectors {
  checkpoint_note: string;
  checkpoint_note_cosigned_by_peter: string;
  checkpoint_signer_key: string;
  checkpoint_verifier_key: string;
  peter_note: string;
  peter_signer_key: string;
  peter_verifier_key: string;
}

const go = loadVector<NoteVectors>("public/signed-notes.json");
const RFC6962_ROOT_8 = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328";

Deno.test("keys: Go-made signer keys give Go's verifier keys; signing reproduces Go's notes exactly", async () => {
  for (
    const [skey, vkey, note] of [
      [go.peter_signer_key, go.peter_verifier_key, go.peter_note],
      [go.checkpoint_signer_key, go.checkpoint_verifier_key, go.checkpoint_note],
    ]
  ) {
    const parsed = await parseSignerKey(skey);
    assert.equal(parsed.verifierKey, vkey);
    const text = note.slice(0, note.lastIndexOf("\n\n") + 1);
    assert.equal(await signNote(text, [parsed.signer]), note);
  }
});

Deno.test("notes: Go's notes open with the Go verifier keys; the cosigned note with either or both", async () => {
  const peter = await parseVerifierKey(go.peter_verifier_key);
  const log = await parseVerifierKey(go.checkpoint_verifier_key);
  const opened = await openNote(go.peter_note, [peter]);
  assert.equal(
    opened.text,
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n",
  );
  const both = await openNote(go.checkpoint_note_cosigned_by_peter, [log, peter]);
  assert.deepEqual(both.verified.map((s) => s.name), ["log.example.org/ledger-1", "PeterNeumann"]);
  const logOnly = await openNote(go.checkpoint_note_cosigned_by_peter, [log]);
  assert.deepEqual(logOnly.unverified.map((s) => s.name), ["PeterNeumann"]);
  const { signer } = await parseSignerKey(go.peter_signer_key);
  assert.equal(await cosignNote(go.checkpoint_note, [signer]), go.checkpoint_note_cosigned_by_peter);
});

Deno.test("checkpoints: Go's checkpoint parses to the RFC 6962 root of the 8 classic leaves", async () => {
  const log = await parseVerifierKey(go.checkpoint_verifier_key);
  const { checkpoint } = await openCheckpoint(go.checkpoint_note, [log], "log.example.org/ledger-1");
  assert.equal(checkpoint.size, 8);
  assert.equal(checkpoint.root.toHex(), RFC6962_ROOT_8);
  assert.equal(
    await codeOf(() => openCheckpoint(go.checkpoint_note, [log], "other/origin")),
    "ORIGIN_MISMATCH",
  );
});

Deno.test("notes: tampering gives precise errors", async () => {
  const log = await parseVerifierKey(go.checkpoint_verifier_key);
  const peter = await parseVerifierKey(go.peter_verifier_key);
  const note = go.checkpoint_note;
  const cases: [string, string][] = [
    [note.replace("\n8\n", "\n9\n"), "BAD_SIGNATURE"],
    [note.replace("6QUh8q6T+y", "6QUh8q6T+z"), "BAD_SIGNATURE"],
    [note.replace("\n\n", "\n"), "MALFORMED_NOTE"],
    [note.replace("— ", "-- "), "MALFORMED_NOTE"],
    [note.replace("— log.example.org/ledger-1 ", "— log.example.org/ledger-1  "), "MALFORMED_NOTE"],
    [note.slice(0, -1), "MALFORMED_NOTE"],
    [note.replace("log.example.org/ledger-1\n8", "log.example.org/ledger-1\t\n8"), "MALFORMED_NOTE"],
    [note + note.slice(note.lastIndexOf("—")), "MALFORMED_NOTE"],
    [
      note.replace(
        /— log\.example\.org\/ledger-1 [^\n]+\n/,
        go.peter_note.slice(go.peter_note.lastIndexOf("—")),
      ),
      "UNVERIFIED_NOTE",
    ],
  ];
  for (const [text, code] of cases) {
    assert.equal(await codeOf(() => openNote(text, [log])), code, JSON.stringify(text.slice(-40)));
  }
  assert.equal(await codeOf(() => openNote(note, [peter])), "UNVERIFIED_NOTE");
  assert.equal(await codeOf(() => openNote(note, [log, log])), "AMBIGUOUS_KEY");
});

Deno.test("notes: at most 100 signature lines, as Go's note.Open allows", async () => {
  const log = await parseVerifierKey(go.checkpoint_verifier_key);
  const otherLine = (i: number) => `— witness-${i} ${new Uint8Array(68).fill(i).toBase64()}\n`;
  const withOthers = (count: number) =>
    go.checkpoint_note + Array.from({ length: count }, (_, i) => otherLine(i)).join("");
  const opened = await openNote(withOthers(99), [log]);
  assert.equal(opened.signatures.length, 100);
  assert.equal(opened.unverified.length, 99);
  assert.equal(await codeOf(() => openNote(withOthers(100), [log])), "MALFORMED_NOTE");
});

Deno.test("keys: strict parsing of key texts", async () => {
  const v = go.peter_verifier_key;
  const s = go.peter_signer_key;
  const cases: [() => Promise<unknown>, string][] = [
    [() => parseVerifierKey(v.replace("c74f20a3", "c74f20a4")), "KEY_ID_MISMATCH"],
    [() => parseVerifierKey(v.replace("c74f20a3", "C74F20A3")), "BAD_KEY"],
    [() => parseVerifierKey(v.replace("PeterNeumann", "Peter Neumann")), "BAD_KEY"],
    [() => parseVerifierKey(v.replace("+ARpc", "+AhPc")), "UNKNOWN_KEY_ALG"],
    [() => parseVerifierKey(v.slice(0, -1)), "BAD_KEY"],
    [() => parseVerifierKey(v + "="), "BAD_KEY"],
    [() => parseVerifierKey("PeterNeumann"), "BAD_KEY"],
    [() => parseSignerKey(s.replace("PRIVATE", "private")), "BAD_KEY"],
    [() => parseSignerKey(s.replace("c74f20a3", "00000000")), "KEY_ID_MISMATCH"],
    [() => parseSignerKey(v), "BAD_KEY"],
  ];
  for (const [fn, code] of cases) assert.equal(await codeOf(fn), code);
});

Deno.test("keys: generated pairs sign and verify; another key's note is unverified", async () => {
  const a = await generateKeyPair("audit.example/ledger-a");
  const b = await generateKeyPair("audit.example/ledger-b");
  const { signer } = await parseSignerKey(a.signerKey);
  const cp = {
    origin: "audit.example/ledger-a",
    size: 3,
    root: new Uint8Array(32).fill(7),
    extensions: ["ext one"],
  };
  const note = await signCheckpoint(cp, [signer]);
  const opened = await openCheckpoint(note, [await parseVerifierKey(a.verifierKey)]);
  assert.deepEqual(opened.checkpoint, { ...cp, extensions: ["ext one"] });
  assert.equal(await codeOf(() => openCheckpoint(note, [])), "UNVERIFIED_NOTE");
  assert.equal(
    await codeOf(async () => openCheckpoint(note, [await parseVerifierKey(b.verifierKey)])),
    "UNVERIFIED_NOTE",
  );
});

Deno.test("checkpoints: strict body parsing", () => {
  const good = `o/1\n8\n${"A".repeat(43)}=\n`;
  assert.equal(parseCheckpoint(good).size, 8);
  for (
    const bad of [
      `o/1\n08\n${"A".repeat(43)}=\n`,
      `o/1\n-1\n${"A".repeat(43)}=\n`,
      `o/1\n8\n${"A".repeat(42)}==\n`,
      `o/1\n8\n${"A".repeat(43)}=`,
      `o/1\n8\n${"A".repeat(43)}=\n\n`,
      `\n8\n${"A".repeat(43)}=\n`,
      `o/1\n8\n`,
      `o/1\n99999999999999999999\n${"A".repeat(43)}=\n`,
    ]
  ) {
    assert.throws(() => parseCheckpoint(bad), { code: "MALFORMED_CHECKPOINT" }, JSON.stringify(bad));
  }
});

Deno.test("checkpoints property: format then parse is the identity", () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 1 }).filter((s) => s.trim() === s && !s.includes("\n")),
      fc.maxSafeNat(),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.array(fc.string({ minLength: 1 }).filter((s) => !s.includes("\n")), { maxLength: 3 }),
      (origin, size, root, extensions) => {
        const text = formatCheckpoint({ origin, size, root, extensions });
        assert.deepEqual(parseCheckpoint(text), { origin, size, root, extensions });
      },
    ),
    fcParams(),
  );
});
