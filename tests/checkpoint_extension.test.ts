import assert from "node:assert/strict";
import fc from "fast-check";
import { signCheckpoint } from "../core/checkpoint.ts";
import {
  type CheckpointExtension,
  formatCheckpointExtension,
  MAX_EXTENSION_PROOF,
  parseCheckpointExtension,
  verifyCheckpointExtension,
} from "../core/checkpoint_extension.ts";
import { generateKeyPair, type NoteSigner, parseSignerKey, parseVerifierKey } from "../core/keys.ts";
import type { MerkleHasher } from "../core/merkle_hasher.ts";
import type { MerkleTree } from "../core/merkle_tree.ts";
import { KeyChain, signRotation } from "../core/rotation.ts";
import { buildSampleLog, VECTOR_ORIGIN } from "../vectors/_build.ts";
import { codeOf, failureOf } from "./_codes.ts";
import { fcParams } from "./_fc.ts";

const SIZE = 40;
const logs = { b3: await buildSampleLog("b3", SIZE), sha256: await buildSampleLog("sha256", SIZE) };
const keys = await generateKeyPair(VECTOR_ORIGIN);
const { signer } = await parseSignerKey(keys.signerKey);
const verifier = await parseVerifierKey(keys.verifierKey);

function sign(
  tree: MerkleTree,
  size: number,
  by: NoteSigner[] = [signer],
  origin = VECTOR_ORIGIN,
): Promise<string> {
  return signCheckpoint({ origin, size, root: tree.rootAt(size), extensions: [] }, by);
}

async function extensionText(tree: MerkleTree, oldSize: number, newSize: number): Promise<string> {
  return formatCheckpointExtension({
    oldSize,
    proof: tree.consistencyProof(oldSize, newSize),
    checkpoint: await sign(tree, newSize),
  });
}

function verifyText(kept: string, text: string, mh: MerkleHasher, trusted = [verifier]) {
  return verifyCheckpointExtension(kept, parseCheckpointExtension(text), trusted, mh);
}

Deno.test("checkpoint extension: from every kept size to every later size, both algorithms, it verifies", async () => {
  for (const [alg, { tree, mh }] of Object.entries(logs)) {
    for (let newSize = 0; newSize <= SIZE; newSize += newSize < 12 ? 1 : 7) {
      for (let oldSize = 0; oldSize <= newSize; oldSize++) {
        const text = await extensionText(tree, oldSize, newSize);
        const { previous, current } = await verifyText(await sign(tree, oldSize), text, mh);
        assert.deepEqual([previous.checkpoint.size, current.checkpoint.size], [oldSize, newSize], alg);
      }
    }
  }
});

Deno.test("checkpoint extension: the text is a C2SP tlog-witness add-checkpoint body and reads back whole", async () => {
  const { tree } = logs.sha256;
  const text = await extensionText(tree, 13, 37);
  const proof = tree.consistencyProof(13, 37);
  assert.equal(text, `old 13\n${proof.map((h) => `${h.toBase64()}\n`).join("")}\n${await sign(tree, 37)}`);
  const parsed = parseCheckpointExtension(text);
  assert.deepEqual(parsed, { oldSize: 13, proof, checkpoint: await sign(tree, 37) });
  assert.equal(formatCheckpointExtension(parsed), text);
});

Deno.test("checkpoint extension: a forked, rolled-back, shortened, lengthened or reordered log gives a precise error", async () => {
  const { tree, mh } = logs.b3;
  const other = (await buildSampleLog("b3", SIZE)).tree; // the same leaves…
  other.appendEntry(new Uint8Array(32).fill(7)); // …then one more, at 40
  const forked = (await buildSampleLog("b3", 9)).tree;
  for (let i = 9; i < SIZE; i++) forked.appendEntry(new Uint8Array(32).fill(i)); // differs from leaf 9 on
  const kept = await sign(tree, 20);
  const proof = tree.consistencyProof(20, 33);
  const checkpoint33 = await sign(tree, 33);
  const cases: [string, string, string, RegExp?][] = [
    ["a fork after the kept size", await extensionText(forked, 20, 33), "ROOT_MISMATCH"],
    [
      "a fork at the kept size",
      await extensionText(forked, 20, 20),
      "ROOT_MISMATCH",
      /size 20 with different roots: a fork/,
    ],
    [
      "a rollback",
      `old 20\n\n${await sign(tree, 12)}`,
      "SIZE_OUT_OF_RANGE",
      /\(size 12\) is smaller than the one held \(size 20\): a rollback/,
    ],
    ["another old size", await extensionText(tree, 19, 33), "OLD_SIZE_MISMATCH"],
    [
      "a proof one hash short",
      formatCheckpointExtension({ oldSize: 20, proof: proof.slice(1), checkpoint: checkpoint33 }),
      "PROOF_TOO_SHORT",
    ],
    [
      "a proof one hash long",
      formatCheckpointExtension({ oldSize: 20, proof: [...proof, proof[0]], checkpoint: checkpoint33 }),
      "PROOF_TOO_LONG",
    ],
    [
      "two proof hashes swapped",
      formatCheckpointExtension({
        oldSize: 20,
        proof: [proof[1], proof[0], ...proof.slice(2)],
        checkpoint: checkpoint33,
      }),
      "ROOT_MISMATCH",
    ],
    [
      "a proof for a neighbouring size",
      formatCheckpointExtension({
        oldSize: 20,
        proof: tree.consistencyProof(20, 34),
        checkpoint: checkpoint33,
      }),
      "ROOT_MISMATCH",
    ],
    [
      "the checkpoint's size changed",
      formatCheckpointExtension({ oldSize: 20, proof, checkpoint: checkpoint33.replace("\n33\n", "\n34\n") }),
      "BAD_SIGNATURE",
    ],
    [
      "a checkpoint of another origin by the same key",
      formatCheckpointExtension({
        oldSize: 20,
        proof,
        checkpoint: await sign(tree, 33, [signer], "other.example/l"),
      }),
      "ORIGIN_MISMATCH",
    ],
  ];
  const grown = await verifyText(kept, await extensionText(other, 20, 41), mh);
  assert.equal(grown.current.checkpoint.size, 41, "a log that kept the prefix and grew verifies");
  for (const [what, text, code, message] of cases) {
    const error = await failureOf(() => verifyText(kept, text, mh));
    assert.equal(error.code, code, what);
    if (message !== undefined) assert.match(error.message, message, what);
  }
  const stranger = await parseVerifierKey((await generateKeyPair(VECTOR_ORIGIN)).verifierKey);
  assert.equal(
    await codeOf(() =>
      verifyText(kept, `old 20\n${proof.map((h) => h.toBase64()).join("\n")}\n\n${checkpoint33}`, mh, [
        stranger,
      ])
    ),
    "UNVERIFIED_NOTE",
  );
});

Deno.test("checkpoint extension: the kept checkpoint is held to the same origin and keys", async () => {
  const { tree, mh } = logs.b3;
  const text = await extensionText(tree, 10, 30);
  const otherOrigin = await sign(tree, 10, [signer], "other.example/l");
  const sameNameOtherKey = (await parseSignerKey((await generateKeyPair(VECTOR_ORIGIN)).signerKey)).signer;
  const otherKeyNote = await sign(tree, 10, [sameNameOtherKey]);
  assert.equal(await codeOf(() => verifyText(otherOrigin, text, mh)), "ORIGIN_MISMATCH");
  assert.equal(await codeOf(() => verifyText(otherKeyNote, text, mh)), "UNVERIFIED_NOTE");
});

Deno.test("checkpoint extension: across a key rotation, a chain from the first key checks both checkpoints", async () => {
  const { tree, mh } = logs.b3;
  const next = await parseSignerKey((await generateKeyPair(VECTOR_ORIGIN)).signerKey);
  const rotation = await signRotation(
    { origin: VECTOR_ORIGIN, leaf: 15, oldKey: keys.verifierKey, newKey: next.verifierKey },
    signer,
    next.signer,
  );
  const chain = new KeyChain([verifier]);
  await chain.rotate(rotation);
  const kept = await sign(tree, 10);
  const newer = await sign(tree, 30, [next.signer]);
  const text = formatCheckpointExtension({
    oldSize: 10,
    proof: tree.consistencyProof(10, 30),
    checkpoint: newer,
  });
  const { current } = await verifyCheckpointExtension(kept, parseCheckpointExtension(text), chain, mh);
  assert.equal(current.checkpoint.size, 30);
  assert.equal(await codeOf(() => verifyText(kept, text, mh)), "UNVERIFIED_NOTE", "the first key alone");
  const byRetiredKey = formatCheckpointExtension({
    oldSize: 10,
    proof: tree.consistencyProof(10, 30),
    checkpoint: await sign(tree, 30),
  });
  assert.equal(
    await codeOf(() => verifyCheckpointExtension(kept, parseCheckpointExtension(byRetiredKey), chain, mh)),
    "UNVERIFIED_NOTE",
    "the retired key past its last size",
  );
});

Deno.test("checkpoint extension: malformed text is EXTENSION_MALFORMED at its line", async () => {
  const { tree } = logs.b3;
  const good = await extensionText(tree, 5, 9);
  const [oldLine, hash] = good.split("\n");
  const headLines = good.split("\n\n")[0].split("\n").length;
  const cases: [string, number][] = [
    [good.replace(oldLine, "old 05"), 1],
    [good.replace(oldLine, "old -5"), 1],
    [good.replace(oldLine, "old  5"), 1],
    [good.replace(oldLine, "old 9007199254740992"), 1],
    [good.replace(oldLine, "Old 5"), 1],
    [good.replace(hash, hash.slice(0, -1)), 2],
    [good.replace(hash, hash.replace("=", "A")), 2],
    [good.replace(hash, `${hash} `), 2],
    [
      good.replace("\n\n", `\n${`${"A".repeat(43)}=\n`.repeat(MAX_EXTENSION_PROOF)}\n`),
      2 + MAX_EXTENSION_PROOF,
    ],
    [good.replace("\n\n", "\n"), headLines + 1], // no blank line: the note's origin read as a proof line
    [good.replace("\n9\n", "\n09\n"), headLines + 3], // the checkpoint's size line
    [good.slice(0, -1), headLines + 2], // the note unterminated
  ];
  for (const [text, line] of cases) {
    assert.notEqual(text, good);
    const error = await failureOf(() => parseCheckpointExtension(text));
    assert.deepEqual([error.code, error.where.line], ["EXTENSION_MALFORMED", line], JSON.stringify(text));
  }
  assert.equal(await codeOf(() => parseCheckpointExtension("old 5\n")), "EXTENSION_MALFORMED");
  const checkpoint = good.split("\n\n").slice(1).join("\n\n");
  for (
    const extension of [{ oldSize: -1, proof: [] }, {
      oldSize: 5,
      proof: Array(MAX_EXTENSION_PROOF + 1).fill(new Uint8Array(32)),
    }]
  ) {
    assert.equal(
      await codeOf(() => formatCheckpointExtension({ ...extension, checkpoint })),
      "EXTENSION_MALFORMED",
      `writing old ${extension.oldSize} with ${extension.proof.length} hashes`,
    );
  }
});

Deno.test("checkpoint extension: every character flipped, and every line dropped, doubled or swapped, is refused", async () => {
  const { tree, mh } = logs.b3;
  const kept = await sign(tree, 11);
  const text = await extensionText(tree, 11, 29);
  const verify = async (changed: string) => {
    await verifyText(kept, changed, mh);
  };
  await verify(text);
  const accepted: string[] = [];
  for (let at = 0; at < text.length; at++) {
    const flipped = text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ 1) + text.slice(at + 1);
    if ((await codeOf(() => verify(flipped))) === undefined) accepted.push(`flip at ${at}`);
  }
  const lines = text.split("\n");
  for (let i = 0; i < lines.length - 1; i++) {
    const variants = {
      dropped: [...lines.slice(0, i), ...lines.slice(i + 1)],
      doubled: [...lines.slice(0, i + 1), ...lines.slice(i)],
      swapped: [...lines.slice(0, i), lines[i + 1], lines[i], ...lines.slice(i + 2)],
    };
    for (const [how, changed] of Object.entries(variants)) {
      const joined = changed.join("\n");
      if (joined !== text && (await codeOf(() => verify(joined))) === undefined) {
        accepted.push(`line ${i + 1} ${how}`);
      }
    }
  }
  assert.deepEqual(accepted, []);
});

Deno.test("checkpoint extension: property: any sizes round-trip and verify; any character changed in the head is refused", async () => {
  const { tree, mh } = logs.sha256;
  await fc.assert(
    fc.asyncProperty(
      fc.nat(SIZE),
      fc.nat(SIZE),
      fc.nat(),
      fc.integer({ min: 1, max: 127 }),
      async (a, b, charPick, mask) => {
        const [oldSize, newSize] = [Math.min(a, b), Math.max(a, b)];
        const text = await extensionText(tree, oldSize, newSize);
        const parsed: CheckpointExtension = parseCheckpointExtension(text);
        assert.equal(formatCheckpointExtension(parsed), text);
        const kept = await sign(tree, oldSize);
        assert.equal((await verifyText(kept, text, mh)).current.checkpoint.size, newSize);
        const head = text.indexOf("\n\n") + 1;
        const at = charPick % head;
        const changed = text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ mask) +
          text.slice(at + 1);
        assert.notEqual(
          await codeOf(() => verifyText(kept, changed, mh)),
          undefined,
          `character ${at} ^ ${mask}`,
        );
      },
    ),
    fcParams(),
  );
});
