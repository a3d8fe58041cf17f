/** Every command refuses an argument beyond those it takes, before it touches anything. */
import assert from "node:assert/strict";
import { COMMANDS, main } from "../cli/main.ts";

Deno.test("cli: an argument beyond a command's operands is a usage error naming it", async () => {
  const printed: string[] = [];
  const log = console.log;
  console.log = (text: string) => void printed.push(text);
  try {
    for (const entry of COMMANDS) {
      const command = await entry.load();
      const operands = Array.from({ length: command.operands }, (_, i) => `operand-${i}`);
      printed.length = 0;
      const code = await main([command.name, ...operands, "one-too-many", "--json", "--dir", "/nonexistent"]);
      assert.equal(code, 2, command.name);
      assert.deepEqual(JSON.parse(printed[0]), {
        error: {
          code: "USAGE",
          message: `unexpected argument "one-too-many" (see smem ${command.name} --help)`,
        },
      });
    }
  } finally {
    console.log = log;
  }
});
