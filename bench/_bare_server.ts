/**
 * Baselines for the HTTP latency bench: the least a server on this machine does per record.
 * `deno run --allow-net=127.0.0.1:PORT [--allow-read=DIR --allow-write=DIR] bench/_bare_server.ts PORT [DIR]`
 * answers `POST /v1/records` by parsing the JSON body and returning 201 with a ~1.5 KB JSON body (the
 * size of a receipt); given DIR, it first inserts the body into a SQLite table in WAL with
 * `synchronous=FULL`, one durable commit per request (SecuraMem's durability, none of its work).
 * Prints "listening" once it accepts connections; exits on SIGTERM.
 * @module
 */
import { DatabaseSync } from "node:sqlite";

const [portArg, dir] = Deno.args;
const db = dir === undefined ? undefined : new DatabaseSync(`${dir}/bare.db`);
db?.exec(`PRAGMA page_size = 8192; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
  CREATE TABLE IF NOT EXISTS records (leaf INTEGER PRIMARY KEY, body BLOB NOT NULL)`);
const insert = db?.prepare("INSERT INTO records (body) VALUES (?)");
const reply = JSON.stringify({ receipt: "r".repeat(1400) });

const server = Deno.serve(
  { hostname: "127.0.0.1", port: Number(portArg), onListen: () => console.log("listening") },
  async (request) => {
    const body = await request.text();
    JSON.parse(body);
    insert?.run(new TextEncoder().encode(body));
    return new Response(reply, { status: 201, headers: { "content-type": "application/json" } });
  },
);
Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  db?.close();
  Deno.exit(0);
});
