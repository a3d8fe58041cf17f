/**
 * The demo (`deno task demo`): creates a ledger, ingests a sample AI-agent trace (prompts and
 * outputs as blobs), checkpoints, verifies, writes a receipt and an evidence bundle, checks both
 * with nothing but the verifier key, then tampers a copy and shows the detection, erases a payload,
 * proves from a checkpoint kept earlier that the log only grew, and has an independent witness
 * cosign the log, whose cosignature receipts then carry. Everything happens in ./.securamem-demo/,
 * through the same CLI users run.
 * @module
 */
import { main } from "./main.ts";

const ROOT = ".securamem-demo";
const DIR = `${ROOT}/ledger`;
const KEY = `${ROOT}/verifier.key`;
const KEPT = `${ROOT}/auditor-kept.checkpoint`;
const WITNESS = `${ROOT}/witness`;
const encoder = new TextEncoder();

function say(text: string): void {
  console.log(`\n\x1b[1m▶ ${text}\x1b[0m`);
}

function smem(...args: string[]): Promise<number> {
  return smemIn(DIR, ...args);
}

async function smemIn(dir: string, ...args: string[]): Promise<number> {
  console.log(`  $ smem ${args.join(" ")}${dir === DIR ? "" : ` --dir ${dir}`}`);
  return await main([...args, "--dir", dir]);
}

function expectOk(...args: string[]): Promise<void> {
  return expectOkIn(DIR, ...args);
}

async function expectOkIn(dir: string, ...args: string[]): Promise<void> {
  const code = await smemIn(dir, ...args);
  if (code !== 0) throw new Error(`demo step failed with exit ${code}: smem ${args.join(" ")}`);
}

await Deno.remove(ROOT, { recursive: true }).catch(() => {});
await Deno.mkdir(ROOT, { recursive: true });

say("1. Create a ledger (BLAKE3, Ed25519-signed C2SP checkpoints)");
await expectOk("init", "--name", "demo.securamem.example");
await expectOk("keys", "export", "--out", KEY);

say("2. Record what an AI support agent did (prompt and answer stored as erasable blobs)");
await expectOk("ingest", "vectors/sample-trace.ndjson");
await expectOk("log", "--stream", "agent.support");

say("3. Checkpoint (the auditor keeps a copy) and verify every hash, chain link, Merkle node and signature");
await expectOk("checkpoint", "--out", KEPT);
await expectOk("verify");

say("4. A receipt for the human override, checked offline with only the verifier key");
await expectOk("receipt", "6", "--out", `${ROOT}/override.receipt.json`);
await expectOk("verify-receipt", `${ROOT}/override.receipt.json`, "--key", KEY);

say("5. An evidence bundle for the auditor, checked offline with only the verifier key");
await expectOk("export", "--out", `${ROOT}/evidence.smemctx`);
await expectOk("verify-bundle", `${ROOT}/evidence.smemctx`, "--key", KEY);

say("6. Someone edits the bundle: the refund amount 8999 becomes 899");
const bundle = await Deno.readTextFile(`${ROOT}/evidence.smemctx`);
await Deno.writeFile(
  `${ROOT}/tampered.smemctx`,
  encoder.encode(bundle.replace(`"amount_cents":8999,"currency"`, `"amount_cents":899,"currency"`)),
);
const code = await smem("verify-bundle", `${ROOT}/tampered.smemctx`, "--key", KEY);
if (code !== 1) throw new Error(`tampering was not detected (exit ${code})`);
console.log("  → detected: exit 1, with the line and leaf of the altered record");

say("7. GDPR erasure of the customer's prompt: bytes deleted, tombstone appended, log still verifies");
const first = JSON.parse(bundle.split("\n").find((line) => line.startsWith("rec "))!.slice(4));
await expectOk("erase", first.subject.content_id, "--reason", "gdpr_erasure_request");
await expectOk("verify");

say("8. Later, the auditor's kept checkpoint proves the log only grew: nothing before it was rewritten");
const keptSize = (await Deno.readTextFile(KEPT)).split("\n")[1];
await expectOk("checkpoint", "--since", keptSize, "--out", `${ROOT}/grown.checkpoint`);
await expectOk("verify-checkpoint", `${ROOT}/grown.checkpoint`, "--previous", KEPT, "--key", KEY);

say(
  "9. An independent witness cosigns the checkpoint; the ledger keeps the cosignature and receipts carry it",
);
await expectOkIn(WITNESS, "witness", "init", "--name", "witness.auditor.example");
await expectOk("checkpoint", "--since", "0", "--out", `${ROOT}/witness-request`);
await expectOkIn(
  WITNESS,
  "witness",
  "add-checkpoint",
  `${ROOT}/witness-request`,
  "--log",
  KEY,
  "--out",
  `${ROOT}/witness-answer`,
);
await expectOk("cosignature", "add", `${ROOT}/witness-answer`, "--witness", `${WITNESS}/witness.pub`);
await expectOk("receipt", "6", "--cosigned", "--out", `${ROOT}/override.cosigned.json`);
await expectOk(
  "verify-receipt",
  `${ROOT}/override.cosigned.json`,
  "--key",
  KEY,
  "--witness",
  `${WITNESS}/witness.pub`,
);

console.log(
  `\n\x1b[1mDone.\x1b[0m Files are in ${ROOT}/ — the ledger, the verifier key, receipts, two bundles, checkpoints ` +
    "and the witness.",
);
