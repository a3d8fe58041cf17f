/**
 * Sample AI-agent drafts of a chosen canonical size, shared by the bench tasks.
 * @module
 */
import type { RecordDraft } from "../core/record.ts";

const KINDS = ["PromptReceived", "ModelInvoked", "ToolCalled", "PolicyDecision", "OutputReturned"];

/** The i-th sample draft; its canonical record is close to `targetBytes` long. */
export function sampleDraft(i: number, targetBytes = 1024): RecordDraft {
  if (targetBytes < 600) return compactDraft(i, targetBytes);
  const base: RecordDraft = {
    ts_ms: 1_730_246_400_000 + i,
    stream: "agent.trace",
    kind: KINDS[i % KINDS.length],
    actor: { user_id: `u-${i % 97}`, role: "agent", cap_id: `cap-${i % 13}` },
    subject: {
      model: "gpt-x-2026-05",
      tool: i % 2 === 0 ? "web.search" : "sql.query",
      content_id: `b3:${(i * 2654435761 >>> 0).toString(16).padStart(64, "0")}`,
    },
    reason: "ok",
    attrs: { step: i, latency_ms: i % 1000, tokens_in: 512 + (i % 64), tokens_out: 128, note: "" },
  };
  const overhead = 121 + JSON.stringify(base).length;
  const fill = Math.max(0, Math.min(900, targetBytes - overhead));
  base.attrs = { ...base.attrs, note: "n".repeat(fill) };
  return base;
}

/** A small draft (one actor key, a step and a note) whose canonical record is near `targetBytes` (≥ ~230). */
function compactDraft(i: number, targetBytes: number): RecordDraft {
  const base = {
    ts_ms: 1_730_246_400_000 + i,
    stream: "agent",
    kind: KINDS[i % KINDS.length],
    actor: { user_id: `u-${i % 97}` },
    attrs: { step: i, note: "" },
  };
  const overhead = 158 + JSON.stringify(base).length;
  base.attrs.note = "n".repeat(Math.max(0, targetBytes - overhead));
  return base;
}
