/**
 * The witness over HTTP (server/witness_app.ts, `smem witness serve`): C2SP tlog-witness's
 * add-checkpoint, each refusal with the status that protocol gives it; a race between two requests
 * from the same size cosigns one; and, as a subprocess with exactly the flags it runs under, it
 * answers a tlog-witness client written in Go, whose check of the cosignature is its own.
 */
import assert from "node:assert/strict";
import { signCheckpoint } from "../core/checkpoint.ts";
import { parseCosignerVerifierKey } from "../core/cosignature.ts";
import { generateKeyPair, parseSignerKey } from "../core/keys.ts";
import { openNote } from "../core/note.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { createWitnessApp, TLOG_SIZE_TYPE, WITNESS_MAX_BODY_BYTES } from "../server/witness_app.ts";
import { removeLedger, tempLedger } from "./_ledger.ts";
import { freePort, serverCommand, startServerProcess } from "./_serve_process.ts";
import { expectExit, runSmem } from "./_smem.ts";
import { sumdbPasses } from "./_sumdb_check.ts";
import { impostorCheckpoint, type LogAndWitness, logAndWitness } from "./_witness.ts";

/** Posts an add-checkpoint body to the app; status, content type and body text. */
async function ask(
  app: ReturnType<typeof createWitnessApp>,
  body: string | Uint8Array,
  host = "127.0.0.1",
): Promise<{ status: number; type: string; text: string }> {
  const response = await app.request(`http://${host}/add-checkpoint`, {
    method: "POST",
    body: body as BodyInit,
  });
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    text: await response.text(),
  };
}

/** The checkpoint (signed note) an add-checkpoint body carries. */
function checkpointIn(request: string): string {
  return request.slice(request.indexOf("\n\n") + 2);
}

/** A checkpoint of the log's origin and tree, signed by a key the witness does not trust for it. */
async function foreignSigned(log: Ledger, size: number): Promise<string> {
  const { signer } = await parseSignerKey((await generateKeyPair(log.meta.origin)).signerKey);
  return await signCheckpoint({ origin: log.meta.origin, size, root: log.rootAt(size), extensions: [] }, [
    signer,
  ]);
}

/** The witness app for the one log of `logAndWitness`. */
function appFor(
  { log, witness, logKeys }: Pick<LogAndWitness, "log" | "witness" | "logKeys">,
  maxBodyBytes = WITNESS_MAX_BODY_BYTES,
): ReturnType<typeof createWitnessApp> {
  const logs = new Map([[log.meta.origin, { origin: log.meta.origin, keys: logKeys }]]);
  return createWitnessApp({ witness, logs, maxBodyBytes });
}

Deno.test("witness server: add-checkpoint answers as tlog-witness does, 200 with the cosignature line, 409 with the size held", async () => {
  const { log, witness, logKeys, grow, cleanup } = await logAndWitness();
  try {
    const app = appFor({ log, witness, logKeys });
    await grow(4);
    const first = log.checkpointExtension(0);
    const cosigned = await ask(app, first);
    assert.equal(cosigned.status, 200, cosigned.text);
    assert.match(cosigned.text, /^— witness\.example\/w1 [A-Za-z0-9+/]+=*\n$/);
    const opened = await openNote(
      checkpointIn(first) + cosigned.text,
      [...logKeys, await parseCosignerVerifierKey(witness.verifierKey)],
    );
    assert.deepEqual(
      opened.verified.map((s) => s.name).sort(),
      [log.meta.origin, "witness.example/w1"].sort(),
    );

    const stale = await ask(app, first);
    assert.deepEqual([stale.status, stale.type, stale.text], [409, TLOG_SIZE_TYPE, "4\n"]);
    await grow(5);
    assert.equal((await ask(app, log.checkpointExtension(4))).status, 200);
    assert.deepEqual((await ask(app, log.checkpointExtension(2))).text, "9\n");
    assert.equal(await witness.heldSize(log.meta.origin), 9, "what it holds was persisted before answering");
  } finally {
    await cleanup();
  }
});

Deno.test("witness server: unknown log 404, foreign signature 403, bad sizes 400, bad proof 422, fork 409, too large 413; none changes what it holds", async () => {
  const { log, witness, logKeys, grow, cleanup } = await logAndWitness();
  const other = await tempLedger({ name: "other.example" });
  const impostor = await tempLedger({ name: "log.example" });
  try {
    const app = appFor({ log, witness, logKeys }, 4096);
    await grow(6);
    assert.equal((await ask(app, log.checkpointExtension(0))).status, 200);
    await grow(3);
    const good = log.checkpointExtension(6);
    const lines = good.split("\n");
    const flipped = Uint8Array.fromBase64(lines[1]);
    flipped[5] ^= 0x10;
    const refusals: [string, string | Uint8Array, number, RegExp][] = [
      ["not UTF-8", Uint8Array.of(...new TextEncoder().encode(good), 0xff), 400, /^BAD_UTF8: /],
      ["unknown origin", `old 0\n\n${other.latestCheckpoint().note}`, 404, /^NOT_FOUND: .*other\.example/],
      ["signed by a key not trusted", `old 6\n\n${await foreignSigned(log, 9)}`, 403, /^UNVERIFIED_NOTE: /],
      ["old beyond the checkpoint", `old 12\n\n${checkpointIn(good)}`, 400, /^SIZE_OUT_OF_RANGE: /],
      ["not a request", "hello\n", 400, /^EXTENSION_MALFORMED: /],
      ["a byte-order mark before the request", `\ufeff${good}`, 400, /^EXTENSION_MALFORMED: /],
      [
        "a flipped proof hash",
        [lines[0], flipped.toBase64(), ...lines.slice(2)].join("\n"),
        422,
        /^ROOT_MISMATCH: /,
      ],
      [
        "a proof cut short",
        [lines[0], ...lines.slice(2)].join("\n"),
        422,
        /^(PROOF_TOO_SHORT|ROOT_MISMATCH): /,
      ],
      [
        "a fork at the size held",
        `old 6\n\n${(await impostorCheckpoint(impostor, log, 6)).note}`,
        409,
        /a fork/,
      ],
      ["too large", `old 6\n${"A".repeat(5000)}\n\n${checkpointIn(good)}`, 413, /^BODY_TOO_LARGE: /],
    ];
    for (const [what, body, status, text] of refusals) {
      const answer = await ask(app, body);
      assert.equal(answer.status, status, `${what}: ${answer.text}`);
      assert.match(answer.text, text, what);
      assert.match(answer.type, /^text\/plain/, what);
    }
    const rebound = await ask(app, good, "evil.example");
    assert.equal(rebound.status, 403, "a request naming another host (DNS rebinding) is refused");
    assert.equal((await app.request("http://127.0.0.1/add-checkpoint")).status, 404, "GET is no route");
    assert.equal(await witness.heldSize(log.meta.origin), 6, "no refusal changed what it holds");
    assert.equal((await ask(app, good)).status, 200);
  } finally {
    await removeLedger(impostor);
    await removeLedger(other);
    await cleanup();
  }
});

Deno.test("witness server: two requests racing from the size held: one is cosigned, the other told the winner's size", async () => {
  const { log, witness, logKeys, grow, cleanup } = await logAndWitness();
  try {
    const app = appFor({ log, witness, logKeys });
    await grow(3);
    await ask(app, log.checkpointExtension(0));
    const smaller = await grow(2);
    const larger = await grow(4);
    const answers = await Promise.all([
      ask(app, log.checkpointExtension(3, smaller)),
      ask(app, log.checkpointExtension(3, larger)),
    ]);
    const won = answers.findIndex((a) => a.status === 200);
    assert.notEqual(won, -1, JSON.stringify(answers));
    const lost = answers[1 - won];
    assert.deepEqual([lost.status, lost.text], [409, `${[smaller, larger][won]}\n`]);
    assert.equal(await witness.heldSize(log.meta.origin), [smaller, larger][won]);
  } finally {
    await cleanup();
  }
});

Deno.test("witness serve: a subprocess with loopback network and its own directory only; a Go tlog-witness client gets and checks the cosignature", async () => {
  const root = await Deno.makeTempDir({ prefix: "smem-witness-serve-" });
  const ledgerDir = `${root}/ledger`;
  const witnessDir = `${root}/witness`;
  const both = [`--allow-read=${root}`, `--allow-write=${root}`];
  try {
    expectExit(await runSmem(["init", "-d", ledgerDir, "--name", "log.example"], { allow: both }), 0, "init");
    for (let i = 0; i < 3; i++) {
      const draft = JSON.stringify({ kind: "ToolCalled", attrs: { step: i } });
      expectExit(await runSmem(["append", "-d", ledgerDir], { allow: both, stdin: draft }), 0, "append");
    }
    expectExit(await runSmem(["checkpoint", "-d", ledgerDir], { allow: both }), 0, "checkpoint");
    const logKey = `${witnessDir}/log.pub`;
    const key = await runSmem(["keys", "export", "-d", ledgerDir, "--out", `${root}/log.pub`], {
      allow: both,
    });
    expectExit(key, 0, "keys export");
    expectExit(
      await runSmem(["witness", "init", "-d", witnessDir, "--name", "witness.example/w1"], { allow: both }),
      0,
      "witness init",
    );
    await Deno.copyFile(`${root}/log.pub`, logKey);
    const request = `${root}/request.txt`;
    const since = await runSmem(["checkpoint", "-d", ledgerDir, "--since", "0"], { allow: both });
    expectExit(since, 0, "checkpoint --since 0");
    await Deno.writeTextFile(request, since.stdout);
    const refused = async (args: string[], net: string[]) => {
      const out = await serverCommand(witnessDir, ["witness", "serve", "-d", witnessDir, ...args], net)
        .output();
      return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
    };
    const exposed = await refused(["--log", logKey, "--host", "0.0.0.0"], ["--allow-net"]);
    assert.equal(exposed.code, 2, exposed.stderr);
    assert.match(exposed.stderr, /NOT_LOOPBACK/);
    const noLog = await refused([], ["--allow-net=127.0.0.1:1"]);
    assert.equal(noLog.code, 2, noLog.stderr);
    assert.match(noLog.stderr, /--log FILE/);
    const denied = await refused(["--log", logKey, "--port", String(freePort())], ["--deny-net"]);
    assert.equal(denied.code, 3, denied.stderr);
    assert.match(denied.stderr, /PERMISSION_DENIED.*--allow-net/);

    const port = freePort();
    const { child, started: listening, output } = await startServerProcess(serverCommand(
      witnessDir,
      ["witness", "serve", "-d", witnessDir, "--log", logKey, "--port", String(port), "--json"],
      [`--allow-net=127.0.0.1:${port}`],
    ));
    assert.equal(listening.listening, `http://127.0.0.1:${port}`);
    await Deno.writeTextFile(`${root}/witness.pub`, String(listening.verifier_key));
    const asked = (...args: string[]) => sumdbPasses("ask-witness", String(listening.listening), ...args);
    const first = JSON.parse(await asked(`${root}/log.pub`, `${root}/witness.pub`, request));
    assert.equal(first.status, 200);
    assert.deepEqual(first.signers.sort(), [...(listening.logs as string[]), "witness.example/w1"].sort());
    assert.ok(first.cosigned_at > 1_700_000_000, "the cosignature carries its time");
    const again = JSON.parse(await asked(`${root}/log.pub`, `${root}/witness.pub`, request));
    assert.deepEqual(
      again,
      { status: 409, held_size: 3 },
      "Go reads the 409 size body as the spec writes it",
    );

    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    assert.match(await output, /"stopped":"SIGTERM"/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
