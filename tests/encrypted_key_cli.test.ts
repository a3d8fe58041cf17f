/**
 * Encrypted signer keys through the CLI, under the binary's own permissions, and checked with
 * Debian's `age` (the reference implementation, in Go): it opens the key file `smem` wrote, and
 * `smem` imports a key it encrypted. `age` and `smem`'s prompt read a terminal, which `script`
 * (util-linux) provides.
 */
import assert from "node:assert/strict";
import { parseSignerKey } from "../core/keys.ts";
import { expectExit, onTerminal, runSmem, smemCommandLine } from "./_smem.ts";

const root = await Deno.makeTempDir({ prefix: "smem-keyenc-" });
const allow = [`--allow-read=${root}`, `--allow-write=${root}`];
const PASSPHRASE = "correct horse battery staple";

function smem(dir: string, args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  return runSmem([...args, "--dir", dir], { ...options, allow });
}

Deno.test("cli encrypted key: init --encrypt-key, then only a passphrase signs; reads need none", async () => {
  const dir = `${root}/one`;
  const env = { SMEM_PASSPHRASE: PASSPHRASE };
  const init = await smem(dir, ["init", "--encrypt-key", "--work-factor", "10", "--json"], { env });
  expectExit(init, 0, "init --encrypt-key");
  assert.equal(JSON.parse(init.stdout).key_encrypted, true);
  const keyFile = await Deno.readTextFile(`${dir}/signer.key`);
  assert.match(keyFile, /^-----BEGIN AGE ENCRYPTED FILE-----\n/);

  const locked = await smem(dir, ["append", "--kind", "ModelInvoked", "--json"]);
  expectExit(locked, 2, "append without a passphrase");
  assert.equal(JSON.parse(locked.stdout).error.code, "PASSPHRASE_REQUIRED");
  assert.match(JSON.parse(locked.stdout).error.message, /signer\.key is encrypted: give its passphrase/);
  const wrong = await smem(dir, ["append", "--kind", "ModelInvoked", "--json"], {
    env: { SMEM_PASSPHRASE: "nope" },
  });
  expectExit(wrong, 2, "append with a wrong passphrase");
  assert.equal(JSON.parse(wrong.stdout).error.code, "BAD_PASSPHRASE");
  expectExit(
    await smem(dir, ["append", "--kind", "ModelInvoked"], { env }),
    0,
    "append with $SMEM_PASSPHRASE",
  );
  await Deno.writeTextFile(`${root}/pass.txt`, `${PASSPHRASE}\nsecond line ignored\n`);
  const fromFile = await smem(dir, [
    "append",
    "--kind",
    "ToolCalled",
    "--passphrase-file",
    `${root}/pass.txt`,
    "--json",
  ]);
  expectExit(fromFile, 0, "append with --passphrase-file");
  assert.equal(JSON.parse(fromFile.stdout).index, 1);

  const status = await smem(dir, ["status", "--json"]);
  expectExit(status, 0, "status");
  assert.equal(JSON.parse(status.stdout).key_encrypted, true);
  assert.equal(JSON.parse(status.stdout).verifier_key, JSON.parse(init.stdout).verifier_key);
  expectExit(await smem(dir, ["verify"]), 0, "verify needs no passphrase");
  expectExit(await smem(dir, ["keys", "export"]), 0, "keys export needs no passphrase");
  const checkpoint = await smem(dir, ["checkpoint", "--json"]);
  expectExit(checkpoint, 2, "checkpoint opens the key, so it needs the passphrase");
});

Deno.test("cli encrypted key: change the passphrase, decrypt, encrypt again", async () => {
  const dir = `${root}/two`;
  expectExit(await smem(dir, ["init"]), 0, "init");
  const plain = await Deno.readTextFile(`${dir}/signer.key`);
  await Deno.writeTextFile(`${root}/first.txt`, "first passphrase\n");
  await Deno.writeTextFile(`${root}/second.txt`, "second passphrase\n");
  const first = ["--passphrase-file", `${root}/first.txt`];
  const second = ["--passphrase-file", `${root}/second.txt`];
  expectExit(await smem(dir, ["keys", "decrypt", ...first]), 2, "decrypt a plain key");
  expectExit(await smem(dir, ["keys", "encrypt", "--work-factor", "10", ...first]), 0, "encrypt");
  const change = await smem(dir, [
    "keys",
    "encrypt",
    "--work-factor",
    "11",
    ...first,
    "--new-passphrase-file",
    `${root}/second.txt`,
    "--json",
  ]);
  expectExit(change, 0, "change the passphrase");
  assert.deepEqual(JSON.parse(change.stdout), {
    key_encrypted: true,
    work_factor: 11,
    passphrase_changed: true,
  });
  expectExit(
    await smem(dir, ["append", "--kind", "K", ...first]),
    2,
    "the old passphrase no longer opens it",
  );
  expectExit(await smem(dir, ["append", "--kind", "K", ...second]), 0, "the new one does");
  expectExit(await smem(dir, ["keys", "rotate", ...second]), 0, "rotate an encrypted key");
  expectExit(await smem(dir, ["keys", "decrypt", ...second]), 0, "decrypt");
  const rotatedPlain = await Deno.readTextFile(`${dir}/signer.key`);
  assert.match(rotatedPlain, /^PRIVATE\+KEY\+/);
  assert.notEqual(rotatedPlain, plain, "the rotated key, in plain text");
  expectExit(await smem(dir, ["append", "--kind", "K"]), 0, "a plain key signs without a passphrase");
  expectExit(await smem(dir, ["verify"]), 0, "verify");
  const bad = await smem(dir, ["keys", "encrypt", "--work-factor", "9", ...first, "--json"]);
  expectExit(bad, 2, "work factor below the range");
  assert.match(JSON.parse(bad.stdout).error.message, /--work-factor must be an integer 10–20/);
});

Deno.test("cli encrypted key: Debian's age opens smem's key file, and smem imports a key age encrypted", async () => {
  const dir = `${root}/age`;
  const env = { SMEM_PASSPHRASE: PASSPHRASE };
  const init = await smem(dir, ["init", "--encrypt-key", "--work-factor", "12", "--json"], { env });
  expectExit(init, 0, "init --encrypt-key");
  const opened = await onTerminal(
    ["age", "--decrypt", "--output", `${root}/opened.key`, `${dir}/signer.key`],
    `${PASSPHRASE}\n`,
  );
  assert.equal(opened.code, 0, opened.output);
  const { verifierKey } = await parseSignerKey((await Deno.readTextFile(`${root}/opened.key`)).trim());
  assert.equal(
    verifierKey,
    JSON.parse(init.stdout).verifier_key,
    "age recovered the very key smem signs with",
  );

  const goKey = `${root}/made-elsewhere.key`;
  await Deno.writeTextFile(
    goKey,
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz\n",
  );
  const sealed = await onTerminal(
    ["age", "--passphrase", "--output", `${goKey}.age`, goKey],
    "imported pass\nimported pass\n",
  );
  assert.equal(sealed.code, 0, sealed.output);
  assert.match(await Deno.readTextFile(`${goKey}.age`), /^age-encryption\.org\/v1\n/, "age's binary form");
  const imported = await smem(`${root}/imported`, ["init", "--signer-key", `${goKey}.age`, "--json"], {
    env: { SMEM_PASSPHRASE: "imported pass" },
  });
  expectExit(imported, 0, "init --signer-key with an age-encrypted key");
  assert.deepEqual(
    [JSON.parse(imported.stdout).verifier_key, JSON.parse(imported.stdout).key_encrypted],
    ["PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", true],
  );
  expectExit(
    await smem(`${root}/imported`, ["append", "--kind", "K"], { env: { SMEM_PASSPHRASE: "imported pass" } }),
    0,
    "the imported key, stored encrypted with the same passphrase, signs",
  );
});

Deno.test("cli encrypted key: on a terminal smem asks for passphrases (twice for a new one), and Ctrl-C cancels", async () => {
  const dir = `${root}/tty`;
  const initOnTerminal = smemCommandLine(
    ["init", "--encrypt-key", "--work-factor", "10", "--dir", dir],
    allow,
  );
  const mismatch = await onTerminal(initOnTerminal, `${PASSPHRASE}\r${PASSPHRASE}!\r`);
  assert.equal(mismatch.code, 2, mismatch.output);
  assert.match(mismatch.output, /PASSPHRASE_MISMATCH: the two passphrases differ/);
  const init = await onTerminal(initOnTerminal, `${PASSPHRASE}\r${PASSPHRASE}\r`);
  assert.equal(init.code, 0, init.output);
  assert.match(init.output, /new passphrase for \S*\/tty\/signer\.key: [\s\S]*the same passphrase again: /);
  const append = await onTerminal(
    smemCommandLine(["append", "--kind", "ToolCalled", "--json", "--dir", dir], allow),
    `${PASSPHRASE}\r`,
  );
  assert.equal(append.code, 0, append.output);
  assert.match(append.output, /passphrase for .*signer\.key: /);
  assert.match(append.output, /"index":0/);
  const cancelled = await onTerminal(
    smemCommandLine(["append", "--kind", "ToolCalled", "--dir", dir], allow),
    "half\x03",
  );
  assert.equal(cancelled.code, 2, cancelled.output);
  assert.match(cancelled.output, /PASSPHRASE_REQUIRED: no passphrase given \(cancelled\)/);
});
