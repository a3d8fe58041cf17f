import type { Command } from "../command.ts";

/** `smem prove-offline`: the process's own Deno permission state. */
export const proveOffline: Command = {
  name: "prove-offline",
  summary: "print this process's permissions: network, subprocess, FFI, system info, outside writes denied",
  operands: 0,
  usage: "smem prove-offline",
  flags: {},
  async run(_values, _args, ctx) {
    const checks: [string, Deno.PermissionDescriptor][] = [
      ["network", { name: "net" }],
      ["subprocess", { name: "run" }],
      ["ffi", { name: "ffi" }],
      ["system info", { name: "sys" }],
      ["environment", { name: "env" }],
      ["environment: SMEM_PASSPHRASE", { name: "env", variable: "SMEM_PASSPHRASE" }],
      ["write outside the ledger", { name: "write", path: "/" }],
      ["read outside the ledger", { name: "read", path: "/etc" }],
      ["write the ledger directory", { name: "write", path: ctx.dir }],
    ];
    const states: Record<string, string> = {};
    for (const [label, descriptor] of checks) {
      const { state } = await Deno.permissions.query(descriptor);
      // Run with --no-prompt, "prompt" means: not granted, and never asked for.
      states[label] = state === "prompt" ? "denied" : state;
    }
    const offline = ["network", "subprocess", "ffi", "system info", "write outside the ledger"].every((k) =>
      states[k] !== "granted"
    );
    ctx.result(
      { offline, permissions: states },
      [
        ...Object.entries(states).map(([label, state]) => `${label.padEnd(28)} ${state}`),
        offline ? "offline: yes" : "offline: NO",
      ].join("\n"),
    );
    return offline ? 0 : 1;
  },
};
