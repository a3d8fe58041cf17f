import { type Command, stringFlag } from "../command.ts";
import { withLedger } from "../with_ledger.ts";
import { parseOptionalCount } from "../numbers.ts";

/** `smem log`: records matching filters, as a table or JSON. */
export const log: Command = {
  name: "log",
  summary: "list records by stream, writer, kind, actor, subject, time or leaf range (alias: query)",
  operands: 0,
  usage:
    "smem log [--stream S] [--writer W] [--kind K] [--actor A] [--subject S] [--since MS] [--until MS] [--from IDX] [--to IDX] [--limit N] [--after IDX]",
  flags: {
    stream: { type: "string", arg: "S", help: "stream" },
    writer: { type: "string", arg: "W", help: "writer_id" },
    kind: { type: "string", arg: "K", help: "kind" },
    actor: { type: "string", arg: "A", help: "actor key (user_id, username, key_fpr, cap_id or role)" },
    subject: { type: "string", arg: "S", help: "subject key (content_id, name, model or tool)" },
    since: { type: "string", arg: "MS", help: "ts_ms ≥ MS" },
    until: { type: "string", arg: "MS", help: "ts_ms < MS" },
    from: { type: "string", arg: "IDX", help: "leaf ≥ IDX" },
    to: { type: "string", arg: "IDX", help: "leaf < IDX" },
    limit: { type: "string", arg: "N", help: "page size (default 100)" },
    after: { type: "string", arg: "IDX", help: "continue after leaf IDX (the 'next' of the previous page)" },
  },
  async run(values, _args, ctx) {
    return await withLedger(ctx, (ledger) => {
      const page = ledger.query({
        stream: stringFlag(values, "stream"),
        writerId: stringFlag(values, "writer"),
        kind: stringFlag(values, "kind"),
        actor: stringFlag(values, "actor"),
        subject: stringFlag(values, "subject"),
        fromTs: parseOptionalCount(stringFlag(values, "since"), "--since"),
        toTs: parseOptionalCount(stringFlag(values, "until"), "--until"),
        fromIndex: parseOptionalCount(stringFlag(values, "from"), "--from"),
        toIndex: parseOptionalCount(stringFlag(values, "to"), "--to"),
        limit: parseOptionalCount(stringFlag(values, "limit"), "--limit"),
        after: parseOptionalCount(stringFlag(values, "after"), "--after"),
      });
      const rows = page.records.map((r) => ({
        index: r.index,
        self_hash: r.selfHash,
        record: JSON.parse(r.text),
      }));
      const table = rows.map(({ index, record }) =>
        [
          String(index).padStart(6),
          new Date(record.ts_ms).toISOString(),
          `${record.writer_id}/${record.stream}#${record.seq}`.padEnd(34),
          record.kind.padEnd(18),
          record.reason,
        ].join("  ")
      );
      ctx.result(
        { records: rows, next: page.next ?? null },
        [...table, page.next === undefined ? `(${rows.length} records)` : `(more: --after ${page.next})`]
          .join("\n"),
      );
    });
  },
};
