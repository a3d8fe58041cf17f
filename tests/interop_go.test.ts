/**
 * Evidence checked by code nobody here wrote: Go's golang.org/x/mod/sumdb (note: the signed-note
 * and key formats SPEC §5 names; tlog: RFC 6962 inclusion and consistency proofs) and
 * golang.org/x/text (NFC), driven by tests/interop/sumdb_check, and the official BLAKE3 tool
 * `b3sum` (Debian packages, all of them).
 * The checker re-derives each record's canonical form (SPEC §2) on its own, on the records of
 * tests/_tricky_ledger.ts.
 */
import assert from "node:assert/strict";
import { parseCheckpointExtension, verifyCheckpointExtension } from "../core/checkpoint_extension.ts";
import { generateKeyPair, parseSignerKey, parseVerifierKey } from "../core/keys.ts";
import { MerkleHasher } from "../core/merkle_hasher.ts";
import { openNote, signNote } from "../core/note.ts";
import { parseReceipt, receiptToTlogProof } from "../core/receipt.ts";
import { sealedText } from "../core/record.ts";
import { removeLedger, tempLedger } from "./_ledger.ts";
import { sumdbCheck, sumdbPasses, sumdbRejects } from "./_sumdb_check.ts";
import { codeOf } from "./_codes.ts";
import { withTrickyLedger, writeTemp } from "./_tricky_ledger.ts";

function base64Lines(hashes: Uint8Array[]): string {
  return hashes.map((hash) => hash.toBase64()).join("\n");
}

for (const alg of ["sha256", "b3"] as const) {
  Deno.test(`interop (Go x/mod sumdb, lukechampine.com/blake3): every receipt of a ${alg} ledger verifies, as JSON and as a C2SP tlog-proof, and every consistency proof between its checkpoints, also as a C2SP tlog-witness request`, async () => {
    await withTrickyLedger(alg, async (ledger, { work, keys, sizes }) => {
      for (let index = 0; index < ledger.size; index++) {
        const out = JSON.parse(
          await sumdbPasses("receipt", keys, await writeTemp(work, "r", ledger.receipt(index))),
        );
        assert.deepEqual(out.checked, ["signature", "canonical form", "self_hash", "inclusion"]);
        assert.equal(out.self_hash, ledger.record(index).selfHash);
        assert.equal(out.size, ledger.size);
        const tlogProof = await writeTemp(work, "p", receiptToTlogProof(parseReceipt(ledger.receipt(index))));
        assert.deepEqual(
          JSON.parse(await sumdbPasses("tlogproof", keys, tlogProof)),
          out,
          "the same as a tlog-proof",
        );
      }
      for (const size of sizes) {
        for (const index of new Set([0, size - 1, size >> 1])) {
          const out = JSON.parse(
            await sumdbPasses("receipt", keys, await writeTemp(work, "r", ledger.receipt(index, size))),
          );
          assert.equal(out.size, size);
        }
      }
      let pairs = 0;
      for (const older of sizes) {
        for (const newer of sizes.filter((size) => size >= older)) {
          const out = JSON.parse(
            await sumdbPasses(
              "consistency",
              keys,
              await writeTemp(work, "old", ledger.checkpointAt(older)!.note),
              await writeTemp(work, "new", ledger.checkpointAt(newer)!.note),
              await writeTemp(work, "proof", base64Lines(ledger.consistencyProof(older, newer))),
              alg,
            ),
          );
          assert.deepEqual([out.old, out.new], [older, newer]);
          const asWitness = JSON.parse(
            await sumdbPasses(
              "witness",
              keys,
              await writeTemp(work, "old", ledger.checkpointAt(older)!.note),
              await writeTemp(work, "request", ledger.checkpointExtension(older, newer)),
              alg,
            ),
          );
          assert.deepEqual([asWitness.old, asWitness.new], [older, newer], "as a tlog-witness request");
          pairs++;
        }
      }
      assert.equal(pairs, (sizes.length * (sizes.length + 1)) / 2);
    });
  });
}

Deno.test("interop (Go x/mod sumdb): the checker refuses a flipped proof hash, a wrong index, an edited or re-spaced record, another key's checkpoint, a damaged tlog-proof", async () => {
  await withTrickyLedger("sha256", async (ledger, { work, keys }) => {
    const receipt = JSON.parse(ledger.receipt(11)); // the record with integer-like keys
    const recordText = sealedText(ledger.record(11));
    // Assembled as text: a JSON round trip of the record would move its integer-like keys first.
    const receiptText = (
      changed: { record?: string; index?: number; proof?: string[]; checkpoint?: string },
    ) =>
      `{"v":1,"record":${changed.record ?? recordText},"index":${changed.index ?? 11},"proof":${
        JSON.stringify(changed.proof ?? receipt.proof)
      },"checkpoint":${JSON.stringify(changed.checkpoint ?? receipt.checkpoint)}}`;
    const rejects = async (pattern: RegExp, changed: Parameters<typeof receiptText>[0]) =>
      await sumdbRejects(pattern, "receipt", keys, await writeTemp(work, "r", receiptText(changed)));

    await sumdbPasses("receipt", keys, await writeTemp(work, "r", receiptText({})));
    const flipped = Uint8Array.fromBase64(receipt.proof[2]);
    flipped[5] ^= 0x10;
    await rejects(/inclusion of leaf 11 in the tree of 45: invalid transparency proof/, {
      proof: receipt.proof.with(2, flipped.toBase64()),
    });
    await rejects(/inclusion of leaf 11/, { proof: receipt.proof.slice(0, -1) });
    await rejects(/inclusion of leaf 12/, { index: 12 });
    // The same 32 bytes with a pad bit set: canonical base64 only (docs/FORMAT.md §5).
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const hash = receipt.proof[0];
    const padBitSet = hash.slice(0, 42) + alphabet[alphabet.indexOf(hash[42]) ^ 1] + "=";
    await rejects(/proof hash 0: not 32 bytes of base64/, { proof: receipt.proof.with(0, padBitSet) });
    assert.match(recordText, /"i":11,/);
    await rejects(/self_hash is sha256:[0-9a-f]{64}; the canonical bytes hash to/, {
      record: recordText.replace('"i":11,', '"i":12,'),
    });
    await rejects(/not in canonical form/, { record: recordText.replace('"i":11,', '"i": 11,') });
    assert.ok(recordText.includes('"\u00e9":5'));
    await rejects(/not in canonical form/, { record: recordText.replace('"\u00e9":5', '"e\u0301":5') });
    await rejects(/not in canonical form/, {
      record: recordText.replace('"1":8,"10":6,"9":7', '"1":8,"9":7,"10":6'),
    });

    const [otherSigner] = (await sumdbPasses("genkey", "securamem/other")).trim().split("\n");
    const body = receipt.checkpoint.slice(0, receipt.checkpoint.indexOf("\n\n") + 1);
    const forged = await sumdbPasses(
      "sign",
      await writeTemp(work, "skey", otherSigner),
      await writeTemp(work, "body", body),
    );
    await rejects(/note: /, { checkpoint: forged });

    const tlogProof = receiptToTlogProof(parseReceipt(ledger.receipt(11)));
    const rejectsTlogProof = async (pattern: RegExp, text: string) =>
      await sumdbRejects(pattern, "tlogproof", keys, await writeTemp(work, "p", text));
    await sumdbPasses("tlogproof", keys, await writeTemp(work, "p", tlogProof));
    assert.ok(tlogProof.includes(`\n${receipt.proof[2]}\n`) && tlogProof.includes("\nindex 11\n"));
    await rejectsTlogProof(
      /inclusion of leaf 11 in the tree of 45: invalid transparency proof/,
      tlogProof.replace(receipt.proof[2], flipped.toBase64()),
    );
    await rejectsTlogProof(/inclusion of leaf 12/, tlogProof.replace("\nindex 11\n", "\nindex 12\n"));
    await rejectsTlogProof(/bad index "011"/, tlogProof.replace("\nindex 11\n", "\nindex 011\n"));
    await rejectsTlogProof(/no extra data/, tlogProof.replace(/^extra .*\n/m, ""));
    await rejectsTlogProof(/first line/, tlogProof.replace("tlog-proof@v1", "tlog-proof@v2"));

    const proof = ledger.consistencyProof(12, ledger.size);
    proof[1][0] ^= 1;
    await sumdbRejects(
      /consistency 12 → 45: invalid transparency proof/,
      "consistency",
      keys,
      await writeTemp(work, "old", ledger.checkpointAt(12)!.note),
      await writeTemp(work, "new", ledger.latestCheckpoint().note),
      await writeTemp(work, "proof", base64Lines(proof)),
    );
  });
});

Deno.test("interop (b3sum, Go): a b3 ledger's self_hash is BLAKE3 of the canonical bytes Go re-derives, by the official b3sum too; Go refuses damaged b3 proofs", async () => {
  await withTrickyLedger("b3", async (ledger, { work, keys }) => {
    for (let index = 0; index < ledger.size; index++) {
      const file = await writeTemp(work, "r", ledger.receipt(index));
      const canonical = await sumdbPasses("canonical", file);
      assert.equal(`b3:${await b3sum(canonical)}`, ledger.record(index).selfHash, `leaf ${index}`);
    }
    const receipt = JSON.parse(ledger.receipt(11));
    const recordText = sealedText(ledger.record(11));
    const rejects = async (changed: { index?: number; proof?: string[] }) =>
      await sumdbRejects(
        /inclusion of leaf \d+ in the tree of 45: /,
        "receipt",
        keys,
        await writeTemp(
          work,
          "r",
          `{"v":1,"record":${recordText},"index":${changed.index ?? 11},"proof":${
            JSON.stringify(changed.proof ?? receipt.proof)
          },"checkpoint":${JSON.stringify(receipt.checkpoint)}}`,
        ),
      );
    for (const [at, hash] of receipt.proof.entries()) {
      const flipped = Uint8Array.fromBase64(hash);
      flipped[at] ^= 0x40;
      await rejects({ proof: receipt.proof.with(at, flipped.toBase64()) });
    }
    await rejects({ proof: receipt.proof.slice(0, -1) });
    await rejects({ proof: [...receipt.proof, receipt.proof[0]] });
    await rejects({ proof: receipt.proof.toReversed() });
    for (const index of [10, 12, 44, 45]) await rejects({ index });
    for (const [older, newer] of [[12, 45], [1, 2], [14, 45], [5, 14], [2, 30]]) {
      const proof = ledger.consistencyProof(older, newer);
      for (let at = 0; at < proof.length; at++) {
        const damaged = proof.map((hash) => hash.slice());
        damaged[at][0] ^= 1;
        await sumdbRejects(
          new RegExp(`consistency ${older} → ${newer}: invalid consistency proof`),
          "consistency",
          keys,
          await writeTemp(work, "old", ledger.checkpointAt(older)!.note),
          await writeTemp(work, "new", ledger.checkpointAt(newer)!.note),
          await writeTemp(work, "proof", base64Lines(damaged)),
          "b3",
        );
      }
      // The same proof against another old tree of that size, signed by the log's key: only the old root can tell.
      const oldNote = ledger.checkpointAt(older)!.note;
      const [origin, size, root] = oldNote.split("\n");
      const otherRoot = Uint8Array.fromBase64(root);
      otherRoot[31] ^= 1;
      const forged = await sumdbPasses(
        "sign",
        ledger.paths.signerKey,
        await writeTemp(work, "body", `${origin}\n${size}\n${otherRoot.toBase64()}\n`),
      );
      await sumdbRejects(
        new RegExp(`consistency ${older} → ${newer}: invalid consistency proof`),
        "consistency",
        keys,
        await writeTemp(work, "old", forged),
        await writeTemp(work, "new", ledger.checkpointAt(newer)!.note),
        await writeTemp(work, "proof", base64Lines(proof)),
        "b3",
      );
    }
  });
});

Deno.test("interop (Go x/mod sumdb): keys and notes made by one work in the other, signatures byte for byte", async () => {
  const work = await Deno.makeTempDir();
  try {
    const body = "example.org/log-1\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
    const bodyFile = await writeTemp(work, "body", body);

    // A Go-made key: we derive the same verifier key, and sign exactly as Go does.
    const [goSigner, goVerifier] = (await sumdbPasses("genkey", "example.org/log-1")).trim().split("\n");
    const parsed = await parseSignerKey(goSigner);
    assert.equal(parsed.verifierKey, goVerifier);
    const goNote = await sumdbPasses("sign", await writeTemp(work, "skey", goSigner), bodyFile);
    assert.equal(await signNote(body, [parsed.signer]), goNote);
    const opened = await openNote(goNote, [await parseVerifierKey(goVerifier)]);
    assert.equal(opened.text, body);

    // Our key: Go accepts its texts and signs what we sign.
    const ours = await generateKeyPair("example.org/log-2");
    const ourSigner = (await parseSignerKey(ours.signerKey)).signer;
    const ourNote = await signNote(body, [ourSigner]);
    assert.equal(await sumdbPasses("sign", await writeTemp(work, "skey", ours.signerKey), bodyFile), ourNote);

    // A note cosigned by both: Go verifies both signatures, in our order.
    const both = await signNote(body, [ourSigner, parsed.signer]);
    const out = JSON.parse(
      await sumdbPasses(
        "open",
        await writeTemp(work, "vkeys", `${ours.verifierKey}\n${goVerifier}`),
        await writeTemp(work, "note", both),
      ),
    );
    assert.deepEqual(out, { text: body, signers: ["example.org/log-2", "example.org/log-1"] });

    // A ledger created with the Go-made key signs checkpoints Go verifies with Go's verifier key.
    const ledger = await tempLedger({ alg: "sha256", signerKey: goSigner });
    try {
      assert.equal(ledger.verifierKey, goVerifier);
      await ledger.append({ kind: "KeyImported" });
      const checkpoint = JSON.parse(
        await sumdbPasses(
          "open",
          await writeTemp(work, "vkeys", goVerifier),
          await writeTemp(work, "note", ledger.latestCheckpoint().note),
        ),
      );
      assert.match(checkpoint.text, /^securamem\/[^\n]+\n1\n[A-Za-z0-9+/]{43}=\n$/);
    } finally {
      await removeLedger(ledger);
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("interop (Go x/mod sumdb): a key rotation is a note both keys sign; later checkpoints verify with the new key only", async () => {
  await withTrickyLedger("sha256", async (ledger, { work, keys }) => {
    const { oldKey, newKey, index } = await ledger.rotateKey();
    await ledger.append({ kind: "AfterRotation" });
    const bothKeys = await writeTemp(work, "both", `${oldKey}\n${newKey}`);
    const statement = JSON.parse(
      await sumdbPasses("open", bothKeys, await writeTemp(work, "note", ledger.rotations()[0])),
    );
    assert.equal(statement.signers.length, 2);
    assert.ok(statement.text.startsWith("securamem/key-rotation/v1\n"));
    assert.ok(statement.text.endsWith(`leaf ${index}\n${oldKey}\n${newKey}\n`));
    const commit = await writeTemp(work, "note", ledger.checkpointAt(index + 1)!.note);
    assert.equal(JSON.parse(await sumdbPasses("open", bothKeys, commit)).signers.length, 2);
    const later = await writeTemp(work, "later", ledger.latestCheckpoint().note);
    assert.equal(
      JSON.parse(await sumdbPasses("open", await writeTemp(work, "new", newKey), later)).signers.length,
      1,
    );
    await sumdbRejects(/note: /, "open", keys, later);
  });
});

/** BLAKE3 of `text`'s UTF-8 by the official `b3sum` tool, lowercase hex. */
async function b3sum(text: string): Promise<string> {
  const child = new Deno.Command("b3sum", { args: ["--no-names"], stdin: "piped", stdout: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  assert.ok(out.success, "b3sum failed");
  return new TextDecoder().decode(out.stdout).trim();
}

for (const alg of ["sha256", "b3"] as const) {
  Deno.test(`interop (Go x/mod sumdb): a ${alg} checkpoint extension, every line flipped, dropped, doubled or swapped, is refused by both checkers`, async () => {
    await withTrickyLedger(alg, async (ledger, { work, keys, sizes }) => {
      const trusted = [await parseVerifierKey(ledger.verifierKey!)];
      const mh = new MerkleHasher(ledger.hasher);
      const [older, newer] = [sizes[3], sizes.at(-1)!];
      const kept = await writeTemp(work, "kept", ledger.checkpointAt(older)!.note);
      const text = ledger.checkpointExtension(older, newer);
      const fromZero = ledger.checkpointExtension(0, newer);
      await sumdbPasses(
        "witness",
        keys,
        await writeTemp(work, "zero", ledger.checkpointAt(0)!.note),
        await writeTemp(work, "z", fromZero),
        alg,
      );
      const lines = text.split("\n");
      const tampered: string[] = [];
      for (let i = 0; i < lines.length - 1; i++) {
        const line = lines[i];
        for (const at of new Set([0, line.length >> 1, line.length - 1].filter((at) => at >= 0))) {
          const flipped = line.slice(0, at) + String.fromCharCode(line.charCodeAt(at) ^ 1) +
            line.slice(at + 1);
          tampered.push([...lines.slice(0, i), flipped, ...lines.slice(i + 1)].join("\n"));
        }
        tampered.push([...lines.slice(0, i), ...lines.slice(i + 1)].join("\n"));
        tampered.push([...lines.slice(0, i + 1), ...lines.slice(i)].join("\n"));
        if (i + 2 < lines.length) {
          tampered.push([...lines.slice(0, i), lines[i + 1], lines[i], ...lines.slice(i + 2)].join("\n"));
        }
      }
      const signature = lines.at(-2)!;
      const doubledSignature = `${text}${signature}\n`;
      assert.ok(tampered.includes(doubledSignature));
      let refused = 0;
      for (const changed of new Set(tampered)) {
        if (changed === text) continue;
        const ours = await codeOf(async () =>
          await verifyCheckpointExtension(
            ledger.checkpointAt(older)!.note,
            parseCheckpointExtension(changed),
            trusted,
            mh,
          )
        );
        assert.notEqual(ours, undefined, `ours accepted ${JSON.stringify(changed)}`);
        const go = await sumdbCheck("witness", keys, kept, await writeTemp(work, "t", changed), alg);
        if (changed === doubledSignature) {
          // Go's note.Open drops a repeated signature silently; ours refuses it (docs/FORMAT.md §5).
          assert.deepEqual([go.code, ours], [0, "MALFORMED_NOTE"]);
          continue;
        }
        assert.equal(go.code, 1, `Go accepted ${JSON.stringify(changed)}: ${go.stdout}`);
        refused++;
      }
      assert.ok(refused > 4 * lines.length, `${refused} tampers`);
    });
  });
}
