/**
 * A ledger holding what canonical form is easiest to get wrong (escapes, U+2028, NFD input, keys
 * ordered by UTF-16 code units, integer-like keys, the largest safe integers), appended in batches
 * of many sizes so trees of many shapes get signed: what the Go checker's tests run on.
 * @module
 */
import type { HashAlg } from "../core/hash.ts";
import type { RecordDraft } from "../core/record.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { removeLedger, tempLedger } from "./_ledger.ts";

const TRICKY: readonly RecordDraft[] = [
  {
    kind: "PromptReceived",
    actor: { user_id: "u-1", role: "agent" },
    attrs: { text: 'line\nbreak\ttab "quoted" back\\slash /' },
  },
  {
    kind: "ModelInvoked",
    reason: "ok",
    subject: { model: "m-2026" },
    attrs: { controls: "\u0001\b\f\u001f\u007f", separators: "\u2028\u2029", nfd: "cafe\u0301" },
  },
  // The same keys in code-unit order on both of our canonicalizer's paths: the fast one, and (an NFD key) the precise one.
  { kind: "ToolCalled", stream: "tools", actor: { "\uff61": "fullwidth stop", "😀": "astral", z: "ascii" } },
  {
    kind: "ToolCalled",
    stream: "tools",
    actor: { "\uff61": "fullwidth stop", "😀": "astral", "e\u0301": "NFD" },
  },
  { kind: "ToolCalled", attrs: { "\uff61": 1, "😀": 2, a: 3, B: 4, "e\u0301": 5, "10": 6, "9": 7, "1": 8 } },
  {
    kind: "PolicyDecision",
    attrs: {
      max: 9007199254740991,
      min: -9007199254740991,
      zero: -0,
      list: [null, true, false, "x", [1, { z: 1, y: 2 }]],
    },
  },
  { kind: "OutputReturned", stream: "tools", attrs: { nested: { deeper: { deepest: { k: "ünïcödé" } } } } },
];
/** Batch sizes: a checkpoint after each, so trees of many shapes get signed. */
const BATCHES = [1, 1, 3, 7, 2, 16, 5, 1, 9];

async function appendTricky(ledger: Ledger): Promise<number[]> {
  const sizes: number[] = [];
  let i = 0;
  for (const count of BATCHES) {
    const drafts = Array.from({ length: count }, () => {
      const draft = TRICKY[i % TRICKY.length];
      return { ...draft, attrs: { ...draft.attrs, i: i++ } };
    });
    await ledger.appendBatch(drafts);
    sizes.push(ledger.size);
  }
  return sizes;
}

/** Writes `text` to `dir/name`; the path. */
export async function writeTemp(dir: string, name: string, text: string): Promise<string> {
  await Deno.writeTextFile(`${dir}/${name}`, text);
  return `${dir}/${name}`;
}

/** Runs `body` on a new ledger of `alg` holding the TRICKY records, with a work directory and its verifier key file. */
export async function withTrickyLedger(
  alg: HashAlg,
  body: (ledger: Ledger, context: { work: string; keys: string; sizes: number[] }) => Promise<void>,
): Promise<void> {
  const ledger = await tempLedger({ alg });
  const work = await Deno.makeTempDir();
  try {
    const sizes = await appendTricky(ledger);
    await body(ledger, { work, keys: await writeTemp(work, "vkeys", ledger.verifierKey!), sizes });
  } finally {
    await removeLedger(ledger);
    await Deno.remove(work, { recursive: true });
  }
}
