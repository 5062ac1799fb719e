// The dashboard: one EventSource, a map of match cards, the status panel. No framework.
"use strict";

const $ = (sel) => document.querySelector(sel);
const fixtures = new Map();   // id -> {home, away}
const odds = new Map();       // id -> latest odds shown
const pending = new Map();    // id -> odds waiting for the next frame
const workerInfo = new Map(); // id -> {restarts, status, last_exit}
let lastStatus = null;

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function log(text, cls) {
  const li = document.createElement("li");
  const t = new Date().toLocaleTimeString();
  li.innerHTML = `<span class="t">${t}</span><span class="${cls || ""}">${esc(text)}</span>`;
  const list = $("#log");
  list.prepend(li);
  while (list.children.length > 60) list.lastChild.remove();
}

function toast(text) {
  const el = $("#toast");
  el.textContent = text;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.textContent = ""), 4000);
}

// An instance that joined another's Redis runs no feed and no worker: its odds come
// through Redis Pub/Sub, and the fault buttons belong to the instance with the feed.
function joined() {
  return document.body.dataset.role === "joined";
}

function setRole(role) {
  if (document.body.dataset.role === role) return;
  document.body.dataset.role = role;
  if (role !== "joined") return;
  $(".controls .hint").textContent = "this instance joined another's Redis: break things on the instance that runs the feed";
  for (const l of document.querySelectorAll(".badge.worker .label")) l.textContent = "remote";
}

function card(id) {
  let el = document.getElementById(`match-${id}`);
  if (el) return el;
  const f = fixtures.get(id) || { home: `Match ${id}`, away: "" };
  el = document.createElement("div");
  el.className = "card";
  el.id = `match-${id}`;
  el.dataset.match = id;
  el.innerHTML = `
    <div class="teams"><span class="name">${esc(f.home)} <span class="id">v</span> ${esc(f.away)}</span><span class="id">#${id}</span></div>
    <div class="prices">
      <div class="price home"><span class="l">1</span><span class="o">–</span></div>
      <div class="price draw"><span class="l">X</span><span class="o">–</span></div>
      <div class="price away"><span class="l">2</span><span class="o">–</span></div>
    </div>
    <div class="foot">
      <span class="badge worker" data-state="unknown"><span class="dot"></span><span class="label">${joined() ? "remote" : "waiting"}</span></span>
      <span>seq <span class="seq num">0</span></span>
      <span>restarts <span class="restarts num">0</span></span>
      <button class="crash" title="Crash this match's worker">crash</button>
    </div>`;
  el.querySelector(".crash").addEventListener("click", () => crash(id));
  const grid = $("#matches");
  const after = [...grid.children].find((c) => Number(c.dataset.match) > id);
  grid.insertBefore(el, after || null);
  return el;
}

function setPrice(el, cls, value, prev) {
  const p = el.querySelector(`.price.${cls}`);
  p.querySelector(".o").textContent = value.toFixed(2);
  if (prev !== undefined && prev !== value) {
    p.classList.remove("up", "down");
    p.classList.add(value < prev ? "up" : "down");
    clearTimeout(p.timer);
    p.timer = setTimeout(() => p.classList.remove("up", "down"), 450);
  }
}

function render() {
  for (const [id, o] of pending) {
    const el = card(id);
    const prev = odds.get(id);
    setPrice(el, "home", o.home, prev && prev.home);
    setPrice(el, "draw", o.draw, prev && prev.draw);
    setPrice(el, "away", o.away, prev && prev.away);
    el.querySelector(".seq").textContent = o.seq;
    odds.set(id, o);
  }
  pending.clear();
  scheduled = false;
}

// One repaint per frame at most, and none while nothing changed.
let scheduled = false;
function schedule() {
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(render);
  }
}

function accept(o) {
  const have = pending.get(o.m) || odds.get(o.m);
  if (have && have.seq >= o.seq) return; // older than what is shown
  pending.set(o.m, o);
  schedule();
}

function linkState(link, process) {
  if (!link) return ["unknown", "—", ""];
  switch (link.state) {
    case "connected": return ["connected", "Connected", ""];
    case "connecting":
    case "backoff": return ["reconnecting", "Reconnecting", link.text + (process && process !== "running" ? ` · redis-server ${process}` : "")];
    case "stopped": return ["down", "Stopped", link.text];
    default: return ["down", "Down", link.text];
  }
}

function setState(sel, [state, label, detail], detailSel) {
  const el = $(sel);
  if (el.dataset.state !== state && el.dataset.state !== "unknown") {
    const what = sel === "#feed-state" ? "Feed" : "Redis";
    log(`${what}: ${label}${detail ? " (" + detail + ")" : ""}`, state === "connected" ? "ok" : state === "down" ? "bad" : "warn");
  }
  el.dataset.state = state;
  el.querySelector(".label").textContent = label;
  $(detailSel).textContent = detail || "\u00a0";
}

function renderTree(t) {
  if (!t) return "";
  const items = t.children.map((c) => {
    const state = c.status;
    const pill = c.tree ? `<span class="pill">${esc(c.tree.strategy)}</span>` : "";
    const exit = c.last_exit ? `<span class="exit" title="${esc(c.last_exit)}">last exit: ${esc(c.last_exit)}</span>` : "";
    let inner = "";
    if (c.tree) {
      inner = renderTree(c.tree);
      if (c.tree.workers.length) {
        const restarted = c.tree.workers.filter((w) => w.restarts > 0).length;
        inner += `<div class="workers" title="match workers">${c.tree.workers.map((w) =>
          `<span class="w ${w.status} ${w.restarts > 0 ? "r1" : ""}" title="match ${w.match_id}: ${w.status}, ${w.restarts} restarts"></span>`).join("")}</div>
          <div class="node meta" style="padding-left:16px">${c.tree.workers.length} match workers · ${restarted} restarted</div>`;
      }
    }
    return `<li><div class="node" data-state="${state}"><span class="dot"></span><span class="name">${esc(c.id)}</span>${pill}
      <span class="meta">${esc(state)}${c.restarts ? ` · ${c.restarts} restarts` : ""}</span>${exit}</div>${inner}</li>`;
  });
  return `<ul>${items.join("")}</ul>`;
}

function applyStatus(s) {
  lastStatus = s;
  setState("#feed-state", linkState(s.feed), "#feed-detail");
  setState("#redis-state", linkState(s.redis, s.redis_process), "#redis-detail");
  $("#updates-rate").textContent = Math.round(s.updates_per_s).toLocaleString();
  const fo = s.fanout;
  setRole(s.feed ? "feed" : "joined");
  $("#updates-total").textContent = `${s.matches} matches · ${s.stats.published.toLocaleString()} published` +
    (fo ? ` · ${fo.received.toLocaleString()} from other instances` : "");
  $("#instance").textContent = fo
    ? `instance ${fo.instance} · ${s.feed ? "runs the feed" : "joined: odds via Redis Pub/Sub"} · Pub/Sub ${fo.pubsub.state}`
    : "single instance";
  $("#queue-depth").textContent = s.queue.depth.toLocaleString();
  const pct = Math.min(100, (100 * s.queue.depth) / s.queue.bound);
  const fill = $("#queue-fill");
  fill.style.width = pct + "%";
  fill.className = "fill" + (pct >= 99 ? " full" : pct > 50 ? " high" : "");
  $("#queue-detail").textContent = `of ${s.queue.bound.toLocaleString()} · peak ${s.queue.high_water.toLocaleString()}`;
  $("#queue-detail").title = `${s.queue.stored.toLocaleString()} written to Redis`;
  const dropped = $("#dropped");
  dropped.textContent = s.queue.dropped.toLocaleString();
  $("#restarts").textContent = s.worker_restarts;
  const st = s.stats;
  const bad = $("#malformed");
  bad.textContent = `${st.broken_xml + st.out_of_range + st.unknown_match} malformed messages`;
  bad.title = `broken XML ${st.broken_xml} · odds out of range ${st.out_of_range} · unknown match ${st.unknown_match}`;
  if (s.tree) {
    $("#tree").innerHTML = `<div class="node" data-state="running"><span class="dot"></span><span class="name">${esc(s.tree.name)}</span><span class="pill">${esc(s.tree.strategy)}</span></div>` + renderTree(s.tree);
    const walk = (t) => {
      for (const w of t.workers) updateWorker(w);
      for (const c of t.children) if (c.tree) walk(c.tree);
    };
    walk(s.tree);
  }
}

function updateWorker(w) {
  const el = card(w.match_id);
  const before = workerInfo.get(w.match_id);
  workerInfo.set(w.match_id, w);
  const r = el.querySelector(".restarts");
  r.textContent = w.restarts;
  r.classList.toggle("some", w.restarts > 0);
  const badge = el.querySelector(".worker");
  badge.dataset.state = w.status;
  badge.querySelector(".label").textContent = w.status;
  if (before && w.restarts > before.restarts) {
    el.classList.remove("crashed");
    el.classList.add("recovered");
    setTimeout(() => el.classList.remove("recovered"), 2500);
    log(`match ${w.match_id}: worker restarted (${w.restarts}) — ${w.last_exit || ""}`, "warn");
  }
}

async function post(url) {
  try {
    const r = await fetch(url, { method: "POST" });
    const body = await r.json().catch(() => ({}));
    return { ok: r.ok, body };
  } catch (e) {
    return { ok: false, body: { error: String(e) } };
  }
}

async function crash(id) {
  document.getElementById(`match-${id}`).classList.add("crashed");
  log(`match ${id}: crash requested`, "bad");
  const r = await post(`/api/matches/${id}/crash`);
  toast(r.ok ? `crashed match ${id}'s worker` : r.body.error);
  if (!r.ok) log(`match ${id}: ${r.body.error}`, "bad");
}

$("#cut-feed").addEventListener("click", async () => {
  log("cutting the feed", "bad");
  const r = await post("/api/feed/cut");
  toast(r.ok ? `feed cut for ${r.body.outage_ms} ms` : r.body.error);
});
$("#kill-redis").addEventListener("click", async () => {
  log("killing redis-server (SIGKILL)", "bad");
  const r = await post("/api/redis/kill");
  toast(r.ok ? `redis-server killed; back in ${r.body.downtime_ms} ms` : r.body.error);
});
$("#send-malformed").addEventListener("click", async () => {
  const kind = $("#malformed-kind").value;
  const r = await post(`/api/feed/malformed?kind=${kind}`);
  toast(r.ok ? `sent one malformed message (${kind.replace("_", " ")})` : r.body.error);
  log(`malformed message sent: ${kind.replace("_", " ")}`, "warn");
});

function connect() {
  const es = new EventSource("/events");
  const stream = $("#stream-state");
  es.onopen = () => { stream.dataset.state = "connected"; stream.querySelector(".label").textContent = "Live"; };
  es.onerror = () => { stream.dataset.state = "reconnecting"; stream.querySelector(".label").textContent = "Reconnecting…"; };
  es.addEventListener("fixtures", (e) => {
    for (const f of JSON.parse(e.data)) {
      fixtures.set(f.id, f);
      card(f.id);
    }
  });
  es.addEventListener("snapshot", (e) => JSON.parse(e.data).forEach(accept));
  es.addEventListener("odds", (e) => accept(JSON.parse(e.data)));
  es.addEventListener("status", (e) => applyStatus(JSON.parse(e.data)));
  es.addEventListener("lagged", (e) => log(`this page fell behind: ${e.data} events skipped`, "warn"));
}

connect();
