/**
 * Encrypted signer keys (core/encrypted_key.ts): round trips, wrong passphrases, bounds, every
 * byte of an encrypted file altered; and the hidden terminal line a passphrase is typed on.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decryptSignerKey,
  encryptedKeyWorkFactor,
  encryptSignerKey,
  isEncryptedKey,
} from "../core/encrypted_key.ts";
import { generateKeyPair } from "../core/keys.ts";
import { HiddenLine } from "../cli/hidden_line.ts";
import { codeOf, failureOf } from "./_codes.ts";
import { fcParams } from "./_fc.ts";

const FAST = 10; // the smallest work factor: these tests are about the format, not the cost
const utf8 = (text: string) => new TextEncoder().encode(text);
const isControl = (character: string) => character.charCodeAt(0) < 0x20 || character === "\x7f";

Deno.test("encrypted key: round trip, detection, work factor read back", async () => {
  const { signerKey } = await generateKeyPair("log.example/1");
  const encrypted = await encryptSignerKey(signerKey, "correct horse battery staple", 11);
  assert.match(
    encrypted,
    /^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+\n-----END AGE ENCRYPTED FILE-----\n$/,
  );
  assert.equal(
    encrypted.includes(signerKey.split("+").slice(4).join("+")),
    false,
    "the seed is not in the file",
  );
  assert.equal(isEncryptedKey(utf8(encrypted)), true);
  assert.equal(isEncryptedKey(utf8(signerKey)), false);
  assert.equal(await decryptSignerKey(utf8(encrypted), "correct horse battery staple"), signerKey);
  assert.equal(await encryptedKeyWorkFactor(utf8(encrypted)), 11);
  const twice = await encryptSignerKey(signerKey, "correct horse battery staple", 11);
  assert.notEqual(twice, encrypted, "each encryption has its own salt and file key");
});

Deno.test("encrypted key: wrong, empty or near-miss passphrases and bad work factors are refused", async () => {
  const encrypted = utf8(await encryptSignerKey("PRIVATE+KEY+a+00000000+AQ", "pässword", FAST));
  for (const wrong of ["password", "pässword ", "Pässword", "pa\u0308ssword"]) {
    assert.equal(await codeOf(() => decryptSignerKey(encrypted, wrong)), "BAD_PASSPHRASE", wrong);
  }
  assert.equal(await codeOf(() => decryptSignerKey(encrypted, "")), "BAD_PASSPHRASE");
  assert.equal(await codeOf(() => encryptSignerKey("k", "", FAST)), "BAD_PASSPHRASE");
  for (const workFactor of [9, 21, 12.5, Number.NaN]) {
    assert.equal(
      await codeOf(() => encryptSignerKey("k", "p", workFactor)),
      "BAD_WORK_FACTOR",
      `${workFactor}`,
    );
  }
});

Deno.test("encrypted key: every byte of the file altered is refused, never opened to other text", async () => {
  const armored = await encryptSignerKey("PRIVATE+KEY+a+00000000+AQ", "pw", FAST);
  const age = await import("age-encryption");
  const binary = age.armor.decode(armored);
  const headerEnd = new TextDecoder().decode(binary).indexOf("\n---") + 1;
  const macLineEnd = binary.indexOf(0x0a, headerEnd);
  for (let i = 0; i < binary.length; i++) {
    const altered = binary.slice();
    altered[i] ^= 0x01;
    const error = await failureOf(() => decryptSignerKey(altered, "pw"));
    // Past the header's MAC line the header is intact: the payload's authentication fails.
    const expected = i > macLineEnd
      ? ["ENCRYPTED_KEY_MALFORMED"]
      : ["ENCRYPTED_KEY_MALFORMED", "BAD_PASSPHRASE"];
    assert.ok(expected.includes(error.code), `byte ${i}: ${error.code} ${error.message}`);
  }
  assert.equal(
    await codeOf(() => decryptSignerKey(binary.subarray(0, binary.length - 1), "pw")),
    "ENCRYPTED_KEY_MALFORMED",
  );
  const lines = armored.split("\n");
  const shortLine = [...lines.slice(0, 1), lines[1].slice(1), ...lines.slice(2)].join("\n");
  assert.equal(await codeOf(() => decryptSignerKey(utf8(shortLine), "pw")), "ENCRYPTED_KEY_MALFORMED");
  const noFooter = lines.filter((line) => !line.startsWith("-----END")).join("\n");
  assert.equal(await codeOf(() => decryptSignerKey(utf8(noFooter), "pw")), "ENCRYPTED_KEY_MALFORMED");
  assert.equal(
    await decryptSignerKey(binary, "pw"),
    "PRIVATE+KEY+a+00000000+AQ",
    "the binary form opens too",
  );
  const indented = utf8(`\r\n  ${armored}`);
  assert.equal(isEncryptedKey(indented), true);
  assert.equal(
    await decryptSignerKey(indented, "pw"),
    "PRIVATE+KEY+a+00000000+AQ",
    "blank lines before the armor",
  );
});

Deno.test("encrypted key: any key text and passphrase round trip (property)", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.string({ unit: "grapheme", minLength: 1 }),
      async (text, passphrase) => {
        const keyText = text.trim() || "k";
        const encrypted = utf8(await encryptSignerKey(keyText, passphrase, FAST));
        assert.equal(isEncryptedKey(encrypted), true);
        assert.equal(await decryptSignerKey(encrypted, passphrase), keyText);
      },
    ),
    { ...fcParams(), numRuns: Math.min(25, fcParams().numRuns ?? 25) },
  );
});

Deno.test("hidden line: Enter ends, Backspace takes back a whole character, Ctrl-U clears, Ctrl-C cancels", () => {
  const typed = (...chunks: string[]) => {
    const line = new HiddenLine();
    let state = "more";
    for (const chunk of chunks) state = line.feed(utf8(chunk));
    return { state, text: line.text() };
  };
  assert.deepEqual(typed("secret\r"), { state: "done", text: "secret" });
  assert.deepEqual(typed("sec", "ret\n", "ignored\n"), { state: "done", text: "secret" });
  assert.deepEqual(typed("pä\x7fass\r"), { state: "done", text: "pass" });
  assert.deepEqual(typed("pä\x7f\x7fass\r"), { state: "done", text: "ass" });
  assert.deepEqual(typed("a🔑\x08b\r"), { state: "done", text: "ab" });
  assert.deepEqual(typed("wrong\x15right\r"), { state: "done", text: "right" });
  assert.deepEqual(typed("\x7f\x7fok\r"), { state: "done", text: "ok" });
  assert.equal(typed("half\x03").state, "cancelled");
  assert.equal(typed("\x04").state, "cancelled");
  assert.deepEqual(typed("a\x04b\r"), { state: "done", text: "ab" }, "Ctrl-D cancels only an empty line");
  assert.deepEqual(typed("more"), { state: "more", text: "more" });
});

Deno.test("hidden line: any text without control characters, typed in any chunks, comes back whole (property)", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "grapheme" }).filter((text) => ![...text].some(isControl)),
      fc.array(fc.nat(), { maxLength: 4 }),
      (text, cuts) => {
        const bytes = utf8(`${text}\r`);
        const line = new HiddenLine();
        let from = 0;
        let state = "more";
        for (const cut of [...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
          state = line.feed(bytes.subarray(from, Math.max(from, cut)));
          from = Math.max(from, cut);
        }
        assert.equal(state, "done");
        assert.equal(line.text(), text);
      },
    ),
    fcParams(),
  );
});
