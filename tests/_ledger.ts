/** Helpers for ledger tests: temporary ledgers with a fixed clock. */
import { Ledger } from "../ledger/ledger.ts";
import type { RecordDraft } from "../core/record.ts";

export async function tempLedger(options: Parameters<typeof Ledger.create>[1] = {}): Promise<Ledger> {
  const dir = await Deno.makeTempDir({ prefix: "smem-test-" });
  let now = 1_730_246_400_000;
  return await Ledger.create(`${dir}/ledger`, { clock: () => now++, writerId: "test@host", ...options });
}

export function agentDraft(i: number, extra: Partial<RecordDraft> = {}): RecordDraft {
  return {
    kind: ["PromptReceived", "ModelInvoked", "ToolCalled"][i % 3],
    stream: i % 2 === 0 ? "agent" : "tools",
    actor: { user_id: `u-${i % 4}` },
    subject: { model: "m-1" },
    attrs: { i },
    ...extra,
  };
}

export async function removeLedger(ledger: Ledger): Promise<void> {
  ledger.close();
  await Deno.remove(ledger.paths.dir.replace(/\/ledger$/, ""), { recursive: true });
}
