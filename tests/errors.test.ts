/** Typed errors keep their class, code, message and own fields when a caller adds where they were found. */
import assert from "node:assert/strict";
import { CanonicalError, relocate } from "../core/errors.ts";
import { UsageError } from "../cli/context.ts";
import { WitnessConflictError } from "../ledger/witness.ts";

Deno.test("errors: relocate keeps each error's class, code, message and own fields, with the location merged", () => {
  const canonical = relocate(new CanonicalError("BAD_FIELD", "kind must be a string", { path: "kind" }), {
    line: 2,
  });
  assert.ok(canonical instanceof CanonicalError);
  assert.deepEqual([canonical.code, canonical.message], [
    "BAD_FIELD",
    "kind must be a string (line 2, at kind)",
  ]);

  const usage = relocate(new UsageError("unknown flag --nope"), { line: 3 });
  assert.ok(usage instanceof UsageError);
  assert.deepEqual([usage.code, usage.detail, usage.where], ["USAGE", "unknown flag --nope", { line: 3 }]);

  const conflict = relocate(new WitnessConflictError(7, "holds size 7"), { item: 1 });
  assert.ok(conflict instanceof WitnessConflictError);
  assert.deepEqual([conflict.code, conflict.heldSize, conflict.message], [
    "CONFLICT",
    7,
    "holds size 7 (batch item 1)",
  ]);

  const dropped = relocate(canonical, { line: undefined });
  assert.deepEqual(dropped.where, { path: "kind" }, "a key given as undefined is dropped");
});
