/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * it renders, follows appends live, shows what a witness cosigned, runs a verification, and logs
 * no console error.
 * Set SMEM_SCREENSHOT=path to keep a screenshot (docs/dashboard.png is made so).
 */
import assert from "node:assert/strict";
import { parseCosignerVerifierKey } from "../core/cosignature.ts";
import { parseVerifierKey } from "../core/keys.ts";
import { Ledger } from "../ledger/ledger.ts";
import { Witness } from "../ledger/witness.ts";
import { startServer } from "../server/serve.ts";
import { type OpenDashboard, openDashboard, waitForText } from "./_dashboard.ts";
import { agentDraft } from "./_ledger.ts";

Deno.test("dashboard: renders in Chromium, shows the new size after appends, verifies, no console errors", async () => {
  const root = await Deno.makeTempDir({ prefix: "smem-dashboard-" });
  const dir = `${root}/ledger`;
  const created = await Ledger.create(dir);
  const logKeys = [await parseVerifierKey(created.verifierKey!)];
  created.close();
  const witness = await Witness.create(`${root}/witness`, "witness.example/w1");
  const witnesses = [await parseCosignerVerifierKey(witness.verifierKey)];
  const server = await startServer({ dir, port: 0, witnesses });
  const token = (await Deno.readTextFile(server.token.file)).trim();
  const append = async (from: number, count: number) => {
    const drafts = Array.from(
      { length: count },
      (_, i) => agentDraft(from + i, { actor: { user_id: "alice" } }),
    );
    const response = await fetch(`${server.url}/v1/records?receipts=none`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(drafts),
    });
    assert.equal(response.status, 201);
    await response.body?.cancel();
  };
  let dashboard: OpenDashboard | undefined;
  try {
    await append(0, 3);
    dashboard = await openDashboard(server.url, token);
    const { page, problems } = dashboard;
    assert.equal(await page.textContent("#size"), "3");
    assert.equal(await page.isVisible("#disk-full"), false, "no disk-full alert while there is room");
    assert.equal(await page.isVisible("#disk-failing"), false, "no failing-disk alert while the disk syncs");
    await append(3, 1234);
    await waitForText(page, "#size", "1,237");
    assert.equal(await page.locator("#recent tr").count(), 10);
    assert.equal(await page.textContent("#recent tr:first-child td:first-child"), "1236");
    assert.equal(await page.textContent("#recent tr:first-child td:nth-child(5)"), "alice");
    assert.match((await page.textContent("#checkpoint")) ?? "", /\n1237\n/);
    assert.equal(await page.textContent("#cosigned"), "none");
    const request = await (await fetch(`${server.url}/v1/checkpoint?since=0`)).text();
    const cosigned = await fetch(`${server.url}/v1/cosignatures`, {
      method: "POST",
      headers: { "content-type": "text/plain", authorization: `Bearer ${token}` },
      body: (await witness.addCheckpoint(request, logKeys)).extension,
    });
    assert.equal(cosigned.status, 201);
    await cosigned.body?.cancel();
    await waitForText(page, "#cosigned", "1,237");
    assert.equal(await page.textContent("#witnesses"), "cosigned by witness.example/w1");
    await page.click("#verify-now");
    await waitForText(page, "#verify", "intact");
    assert.match((await page.textContent("#verify-detail")) ?? "", /^1237 records/);
    const screenshot = Deno.env.get("SMEM_SCREENSHOT");
    if (screenshot) await page.screenshot({ path: screenshot });
    assert.deepEqual(problems, [], "no console errors");
  } finally {
    await dashboard?.browser.close();
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});
