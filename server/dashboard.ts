/**
 * `GET /` — the live dashboard: size and append rate, the newest checkpoint, the last
 * verification, recent records. A static page and script (CSP `default-src 'self'`) polling
 * `/v1/status` each second; a token in the URL fragment (`#token=…`) is sent as the bearer, for
 * servers that guard reads and to run a verification.
 * @module
 */
import { Hono } from "hono";

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SecuraMem</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard.css">
</head>
<body>
<header><h1>SecuraMem</h1><span id="origin">…</span><span id="conn" class="badge">connecting</span></header>
<main>
<p id="disk-full" class="alert" hidden>The ledger's disk is full: appends are refused (507 DISK_FULL) and nothing of
them is kept. Everything acknowledged before is safe; free space and they are taken again.</p>
<p id="disk-failing" class="alert" hidden>The ledger's disk fails to write or sync (I/O error): appends are refused
(500 IO_ERROR) and none is acknowledged. Everything acknowledged before is safe; check the disk.</p>
<section class="cards">
  <div class="card"><h2>Records</h2><p id="size" class="big">–</p></div>
  <div class="card"><h2>Rate</h2><p class="big"><span id="rate">–</span> <small>records/s</small></p></div>
  <div class="card"><h2>Intake queue</h2><p class="big"><span id="queue">–</span></p></div>
  <div class="card"><h2>Verification</h2><p id="verify" class="big">–</p><p id="verify-detail" class="detail"></p>
    <button id="verify-now" type="button">Verify now</button></div>
  <div class="card"><h2>Witnessed up to</h2><p id="cosigned" class="big">–</p><p id="witnesses" class="detail"></p></div>
</section>
<section><h2>Newest signed checkpoint</h2><pre id="checkpoint">–</pre></section>
<section><h2>Recent records</h2>
<table><thead><tr><th>leaf</th><th>time (UTC)</th><th>stream</th><th>kind</th><th>actor</th><th>self_hash</th></tr></thead>
<tbody id="recent"></tbody></table></section>
</main>
<script type="module" src="/dashboard.js"></script>
</body>
</html>
`;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #f5f6f8; }
header { display: flex; gap: 1rem; align-items: baseline; padding: .8rem 1.5rem; background: #14213d; color: #fff; }
header h1 { margin: 0; font-size: 1.3rem; }
#origin { font-family: ui-monospace, monospace; opacity: .8; }
.badge { margin-left: auto; padding: .1rem .6rem; border-radius: 1rem; background: #888; }
.badge.live { background: #2a9d4b; } .badge.down { background: #c0392b; }
main { padding: 1rem 1.5rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: 1rem; }
.card { background: #fff; border-radius: .5rem; padding: .8rem 1rem; box-shadow: 0 1px 2px #0002; }
.card h2, section h2 { margin: 0 0 .3rem; font-size: .8rem; text-transform: uppercase; color: #5a6270; }
.big { font-size: 1.8rem; margin: 0; font-variant-numeric: tabular-nums; }
.detail { margin: .2rem 0; color: #5a6270; font-size: .8rem; }
.ok { color: #2a9d4b; } .failed { color: #c0392b; }
.alert { margin: 0 0 1rem; padding: .7rem 1rem; border-radius: .5rem; background: #c0392b; color: #fff; }
section { margin-top: 1.2rem; }
pre { background: #fff; padding: .8rem; border-radius: .5rem; overflow-x: auto; }
table { width: 100%; border-collapse: collapse; background: #fff; border-radius: .5rem; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e3e6ea; }
td.hash { font-family: ui-monospace, monospace; font-size: .8rem; }
`;

const SCRIPT = `
const token = new URLSearchParams(location.hash.slice(1)).get("token");
const headers = token ? { authorization: "Bearer " + token } : {};
const $ = (id) => document.getElementById(id);
let previous;

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function actorOf(actor) {
  return actor.user_id ?? actor.username ?? actor.role ?? actor.key_fpr ?? actor.cap_id ?? "";
}

function showVerify(verify) {
  const label = { never: "not run", running: "running…", ok: "intact", failed: "FAILED" }[verify.state];
  $("verify").textContent = label;
  $("verify").className = "big " + (verify.state === "ok" ? "ok" : verify.state === "failed" ? "failed" : "");
  $("verify-detail").textContent = verify.failure
    ? verify.failure.code + ": " + verify.failure.message
    : verify.finishedMs ? verify.recordsChecked + " records, " + new Date(verify.finishedMs).toISOString() : "";
}

function showRecent(recent) {
  const rows = recent.map(({ index, record }) => {
    const tr = document.createElement("tr");
    tr.append(
      cell(String(index)),
      cell(new Date(record.ts_ms).toISOString().replace("T", " ").slice(0, 23)),
      cell(record.stream),
      cell(record.kind),
      cell(actorOf(record.actor)),
      cell(record.self_hash.slice(0, 19) + "…", "hash"),
    );
    return tr;
  });
  $("recent").replaceChildren(...rows);
}

function show(status) {
  $("origin").textContent = status.origin + " · " + status.alg;
  $("size").textContent = status.size.toLocaleString("en-US");
  if (previous && status.time_ms > previous.time_ms) {
    const rate = (status.size - previous.size) / ((status.time_ms - previous.time_ms) / 1000);
    $("rate").textContent = Math.max(0, Math.round(rate)).toLocaleString("en-US");
  } else if (!previous) {
    $("rate").textContent = "0";
  }
  previous = status;
  $("queue").textContent = status.queue.depth + " / " + status.queue.capacity;
  $("disk-full").hidden = status.disk_has_room !== false;
  $("disk-failing").hidden = status.disk_syncs !== false;
  $("checkpoint").textContent = status.checkpoint.note;
  $("cosigned").textContent = status.cosigned ? status.cosigned.size.toLocaleString("en-US") : "none";
  $("witnesses").textContent = status.cosigned ? "cosigned by " + status.cosigned.witnesses.join(", ") : "";
  showVerify(status.verify);
  showRecent(status.recent);
}

async function poll() {
  try {
    const response = await fetch("/v1/status", { headers });
    if (!response.ok) throw new Error("status " + response.status);
    show(await response.json());
    $("conn").textContent = "live";
    $("conn").className = "badge live";
  } catch {
    $("conn").textContent = "disconnected";
    $("conn").className = "badge down";
  }
}

$("verify-now").addEventListener("click", async () => {
  $("verify").textContent = "running…";
  const response = await fetch("/v1/verify", { method: "POST", headers });
  if (response.ok) showVerify(await response.json());
  else $("verify-detail").textContent = "verification needs the API token in the URL: #token=…";
});

await poll();
setInterval(poll, 1000);
`;

/** The dashboard routes: the page, its style and its script. */
export function dashboardRoutes(): Hono {
  const app = new Hono();
  app.get("/", (c) => c.html(PAGE));
  app.get("/dashboard.css", (c) => c.body(STYLE, 200, { "content-type": "text/css; charset=utf-8" }));
  app.get(
    "/dashboard.js",
    (c) => c.body(SCRIPT, 200, { "content-type": "text/javascript; charset=utf-8" }),
  );
  return app;
}
