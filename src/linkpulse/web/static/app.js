// linkpulse dashboard: act (shorten, click, fetch stats), manage (the links table), see
// (stats), understand (pipeline diagram + request log), with the API key it needs (or
// none on an open API). No framework, no build step, no outside requests.

import { closeKeyPanel, initAccess, isLocked, openKeyPanel, showKeyLabel, takeKeyFromAddress }
  from "./access.js";
import {
  errorText, getBase, getKey, isCrossOrigin, onRequest, onUnauthorized, request,
  setBase,
} from "./api.js";
import { $, fmtInt, fmtTime, h, safeHref } from "./dom.js";
import { clearLinks, initLinks, loadLinks } from "./links.js";
import { Pipeline } from "./pipeline.js";
import { queueWatcher } from "./queue.js";
import { follow } from "./live.js";
import { addLive, clearStats, redrawChart, renderStats, resetLive } from "./stats.js";

const LOG_LIMIT = 200;
const CLICKS_PER_RUN = 10;

const state = {
  open: null, // null = not known yet, true = the API answers without a key, false = it needs one
  code: null,
  stats: null,
  generating: false,
  autoTimer: null,
  range: { from: "", to: "" },
  stopLive: null,
  refreshTimer: 0,
  lastTotal: new Map(),
};

const pipeline = new Pipeline($("pipeline"));
const { refresh: refreshQueue, reset: resetQueue } = queueWatcher(pipeline);

// ---- request log + pipeline lights --------------------------------------------------

function statusClass(status) {
  if (status === "3xx" || status === "sent") return "st-redirect";
  if (typeof status !== "number") return "st-error";
  if (status >= 500) return "st-error";
  if (status >= 400) return "st-warn";
  if (status >= 300) return "st-redirect";
  return "st-ok";
}

onRequest((event) => {
  if (event.phase !== "end") return;
  pipeline.countRequest();
  const failed = event.status === "error" || (typeof event.status === "number" &&
    event.status >= 500);
  pipeline.flow(event.kind, { failed });
  const body = $("log").tBodies[0];
  const ms = event.ms < 10 ? event.ms.toFixed(1) : String(Math.round(event.ms));
  body.prepend(h("tr", { "data-kind": event.kind },
    h("td", { class: "mono" }, fmtTime(event.at)),
    h("td", { class: "mono req" }, h("span", { class: "method" }, event.method), " ",
      event.path),
    h("td", { class: `num mono ${statusClass(event.status)}` }, String(event.status)),
    h("td", { class: "num mono" }, ms)));
  while (body.rows.length > LOG_LIMIT) body.deleteRow(-1);
});

$("log-clear").addEventListener("click", () => $("log").tBodies[0].replaceChildren());

// ---- API base setting + health -------------------------------------------------------

function showBase() {
  const base = getBase();
  $("api-base").value = base;
  $("api-base-label").textContent = base || "this server";
}

async function checkHealth() {
  const badge = $("health");
  badge.dataset.state = "unknown";
  badge.textContent = "checking API…";
  const result = await request("GET", "/healthz", { kind: "health" });
  if (result.ok && result.data) {
    badge.dataset.state = "ok";
    badge.textContent = `${result.data.backend ?? "?"} backend · v${result.data.version ?? "?"}`;
    const aws = result.data.backend === "aws";
    pipeline.label("store", aws ? "DynamoDB" : "SQLite");
    if (aws) pipeline.label("consumer", "Lambda");
  } else {
    badge.dataset.state = "error";
    badge.textContent = "API unreachable";
  }
}

$("api-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const input = $("api-base");
  try {
    setBase(input.value);
    input.removeAttribute("aria-invalid");
    $("api-help").classList.remove("error");
  } catch (err) {
    input.setAttribute("aria-invalid", "true");
    $("api-help").textContent = err.message;
    $("api-help").classList.add("error");
    input.focus();
    return;
  }
  await baseChanged();
});

$("api-reset").addEventListener("click", async () => {
  setBase("");
  await baseChanged();
});

async function baseChanged() {
  state.open = null;
  await connect();
}

// ---- access: a key, an open API, or the prompt ----------------------------------------

function showLinksAccess() {
  const keyed = Boolean(getKey());
  $("links-body").hidden = !keyed;
  $("links-locked").hidden = keyed;
  if (!keyed) clearLinks();
}

onUnauthorized(({ keyed }) => {
  showKeyLabel();
  showLinksAccess();
  if (!keyed) {
    state.open = false;
    openKeyPanel({ locked: true });
  } else if (state.open === true) {
    openKeyPanel({ kind: "error", message: "The API refused the key (revoked or expired), " +
      "so this page forgot it. This API also works without a key; links need one." });
  } else {
    openKeyPanel({ kind: "error", locked: true, offerOpen: state.open === null,
      message: "The API refused the key: it was revoked or has expired. This page forgot " +
        "it; enter another." });
  }
});

/**
 * (Re)connect to the API: with a stored key, list its links (which also checks the key);
 * without one, ask once without a key (an open API answers, another says 401, which
 * brings up the key prompt); when this API is known to need a key, prompt at once.
 */
async function connect() {
  if (isLocked()) closeKeyPanel();
  showBase();
  showKeyLabel();
  showLinksAccess();
  resetQueue();
  state.stats = null;
  await checkHealth();
  const keyed = Boolean(getKey());
  if (keyed) {
    if ((await loadLinks()).status === 401) return;
  } else if (state.open === false) {
    openKeyPanel({ locked: true });
    return;
  }
  const depth = await refreshQueue(); // without a key: "is this API open?"
  if (isLocked()) return;
  if (!keyed && depth) state.open = true;
  if (state.code) {
    startLive(state.code);
    await loadStats(state.code);
  }
}

// ---- stats ----------------------------------------------------------------------------

function setMessage(id, text, kind = "info") {
  const el = $(id);
  el.textContent = text;
  el.dataset.kind = kind;
}

function rememberCode(code) {
  const url = new URL(location.href);
  url.searchParams.set("code", code);
  history.replaceState(null, "", url);
}

function statsPath(code) {
  const query = new URLSearchParams();
  if (state.range.from) query.set("from", state.range.from);
  if (state.range.to) query.set("to", state.range.to);
  const text = query.toString();
  return `/stats/${encodeURIComponent(code)}${text ? `?${text}` : ""}`;
}

async function loadStats(code, { quiet = false } = {}) {
  const result = await request("GET", statsPath(code), { kind: "stats" });
  if (code !== state.code) return null; // the user moved on meanwhile
  if (!result.ok || !result.data) {
    if (result.status === 400 && (state.range.from || state.range.to)) {
      setMessage("range-msg", `This range was refused: ${errorText(result)}`, "error");
      return null;
    }
    if (!quiet || result.status === 404) {
      setMessage("load-msg", `${code}: ${errorText(result)}`, "error");
    }
    if (result.status === 404 || result.status === 410) {
      state.stats = null;
      $("generate-btn").disabled = true;
      stopLive();
      clearStats(`No stats for ${code}: ${errorText(result)}`);
    }
    return null;
  }
  showRange(result.data.range);
  const stats = result.data;
  const before = state.lastTotal.get(code);
  if (before !== undefined && stats.total_clicks > before) pipeline.flow("consume");
  state.lastTotal.set(code, stats.total_clicks);
  state.stats = stats;
  pipeline.label("agg", `${fmtInt(stats.total_clicks)} click${stats.total_clicks === 1 ? "" : "s"}`);
  renderStats(stats);
  $("generate-btn").disabled = state.generating;
  if (!quiet) setMessage("load-msg", "");
  return stats;
}

async function selectCode(code) {
  state.code = code;
  $("code").value = code;
  rememberCode(code);
  $("drain").textContent = "";
  startLive(code);
  return loadStats(code);
}

// ---- live clicks: the event stream, or polling where the API has none -----------------

const LIVE_TEXT = {
  stream: "following the event stream",
  poll: "polling the API's events every 5 s",
  stats: "refreshing the stats every 5 s (this API has no event stream)",
  error: "reconnecting…",
};

function stopLive() {
  if (state.stopLive) state.stopLive();
  state.stopLive = null;
  clearInterval(state.autoTimer);
  state.autoTimer = null;
}

function refreshSoon() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => {
    if (state.code && !state.generating && !isLocked()) {
      loadStats(state.code, { quiet: true });
      refreshQueue();
    }
  }, 300);
}

function pollStats() {
  clearInterval(state.autoTimer);
  state.autoTimer = setInterval(refreshSoon, 5000);
}

function startLive(code) {
  stopLive();
  resetLive($("live-toggle").checked ? "Waiting for clicks…" : "Live updates are off.");
  if (!code || !$("live-toggle").checked) {
    $("live-state").textContent = "";
    return;
  }
  $("live-state").textContent = "connecting…";
  state.stopLive = follow(code, {
    onClick: (event) => {
      if (code !== state.code) return;
      addLive(event);
      pipeline.flow("consume");
      refreshSoon();
    },
    onMode: (mode) => {
      if (code !== state.code) return;
      $("live-state").textContent = LIVE_TEXT[mode] ?? "";
      if (mode === "stats") pollStats();
    },
  });
}

$("live-toggle").addEventListener("change", () => startLive(state.stats ? state.code : null));

// ---- date range ------------------------------------------------------------------------

function showRange(range) {
  if (range && typeof range === "object" && (range.from || range.to)) {
    setMessage("range-msg", `Showing ${range.from ?? "…"} to ${range.to ?? "…"} (UTC).`);
  } else if (!state.range.from && !state.range.to) {
    setMessage("range-msg", "");
  }
}

$("range-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const from = $("range-from").value;
  const to = $("range-to").value;
  if (from && to && from > to) {
    setMessage("range-msg", "The start of the range is after its end.", "error");
    return;
  }
  state.range = { from, to };
  setMessage("range-msg", from || to ? "Loading the range…" : "");
  if (state.code) await loadStats(state.code);
});

$("range-clear").addEventListener("click", async () => {
  $("range-from").value = "";
  $("range-to").value = "";
  state.range = { from: "", to: "" };
  setMessage("range-msg", "");
  if (state.code) await loadStats(state.code);
});

$("load-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  // A pasted short link works too: keep what follows the last slash.
  const code = $("code").value.trim().replace(/[?#].*$/, "").replace(/^.*\//, "");
  if (!code) {
    setMessage("load-msg", "Enter a short code (or a short link).", "error");
    $("code").focus();
    return;
  }
  await Promise.all([selectCode(code), refreshQueue()]);
});

// ---- shorten --------------------------------------------------------------------------

function showResult(link) {
  $("result").hidden = false;
  $("short-url").value = link.short_url;
  $("result-target").textContent = link.original_url;
  const href = safeHref(link.short_url);
  const follow = $("follow-link");
  if (href) follow.setAttribute("href", href);
  else follow.removeAttribute("href");
}

$("shorten-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const urlInput = $("url");
  const aliasInput = $("alias");
  const url = urlInput.value.trim();
  const alias = aliasInput.value.trim();
  for (const input of [urlInput, aliasInput]) input.removeAttribute("aria-invalid");
  if (!/^https?:\/\/\S/i.test(url)) {
    urlInput.setAttribute("aria-invalid", "true");
    setMessage("shorten-msg", "Enter a URL that starts with http:// or https://", "error");
    urlInput.focus();
    return;
  }
  const button = $("shorten-btn");
  button.disabled = true;
  setMessage("shorten-msg", "Shortening…");
  const result = await request("POST", "/shorten", {
    kind: "shorten", json: alias ? { url, alias } : { url },
  });
  button.disabled = false;
  if (result.status !== 201 || !result.data) {
    const bad = result.status === 409 || /alias/i.test(errorText(result)) ? aliasInput : urlInput;
    bad.setAttribute("aria-invalid", "true");
    setMessage("shorten-msg", errorText(result), "error");
    return;
  }
  setMessage("shorten-msg", `Created ${result.data.code}.`, "ok");
  showResult(result.data);
  state.lastTotal.delete(result.data.code);
  await Promise.all([selectCode(result.data.code), refreshQueue(),
    getKey() ? loadLinks() : null]);
});

$("copy-btn").addEventListener("click", async () => {
  const input = $("short-url");
  let copied = false;
  try {
    await navigator.clipboard.writeText(input.value);
    copied = true;
  } catch {
    input.select();
    copied = document.execCommand("copy");
  }
  setMessage("shorten-msg", copied ? "Short link copied." : "Press Ctrl+C to copy.",
    copied ? "ok" : "info");
});

// ---- generate clicks, then watch the queue drain --------------------------------------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function generateClicks() {
  const code = state.code;
  if (!code || state.generating) return;
  state.generating = true;
  const button = $("generate-btn");
  button.disabled = true;
  const drain = $("drain");
  const before = state.stats?.total_clicks ?? 0;
  drain.setAttribute("aria-busy", "true"); // announce the outcome, not every poll
  drain.textContent = `Sending ${CLICKS_PER_RUN} clicks…`;
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: CLICKS_PER_RUN }, () =>
    request("GET", `/${encodeURIComponent(code)}`, { kind: "click", click: true })));
  const sent = results.filter((r) => r.ok).length;
  const target = before + sent;
  if (sent < CLICKS_PER_RUN) {
    drain.textContent = `${CLICKS_PER_RUN - sent} of ${CLICKS_PER_RUN} clicks failed: ` +
      errorText(results.find((r) => !r.ok));
  }
  const interval = isCrossOrigin() ? 1000 : 200;
  const deadline = performance.now() + (isCrossOrigin() ? 60_000 : 20_000);
  let stats = state.stats;
  while (code === state.code && performance.now() < deadline) {
    const [latest, queue] = await Promise.all([loadStats(code, { quiet: true }), refreshQueue()]);
    stats = latest || stats;
    const counted = Math.max(0, (stats?.total_clicks ?? before) - before);
    const backlog = queue ? ` · queue: ${queue.visible} waiting, ${queue.in_flight} in flight` : "";
    const done = (stats?.total_clicks ?? 0) >= target &&
      (!queue || queue.visible + queue.in_flight === 0);
    if (done) {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      drain.textContent = `${counted} new click${counted === 1 ? "" : "s"} counted in ` +
        `${seconds} s.`;
      break;
    }
    drain.textContent = `Counted ${counted} of ${sent} new clicks${backlog}…`;
    await sleep(interval);
  }
  if (performance.now() >= deadline) {
    drain.textContent += " Still waiting: is a consumer running?";
  }
  drain.setAttribute("aria-busy", "false");
  state.generating = false;
  button.disabled = !state.stats;
}

$("generate-btn").addEventListener("click", generateClicks);

// ---- resize ------------------------------------------------------------------------------

let resizeFrame = 0;
new ResizeObserver(() => {
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(() => redrawChart(state.stats));
}).observe($("chart"));

// ---- start ----------------------------------------------------------------------------

initAccess({ onChange: connect });
initLinks({
  onStats: async (code) => {
    await Promise.all([selectCode(code), refreshQueue()]);
    $("stats-panel").scrollIntoView({ block: "start" });
  },
  onChange: (code, { deleted = false } = {}) => {
    if (code !== state.code) return;
    if (!deleted) {
      loadStats(code, { quiet: true });
      return;
    }
    state.stats = null;
    $("generate-btn").disabled = true;
    stopLive();
    clearStats(`${code} was deleted: its short link answers 410 and it has no stats.`);
  },
});
$("links-key-btn").addEventListener("click", () => openKeyPanel());

async function start() {
  takeKeyFromAddress();
  const code = new URLSearchParams(location.search).get("code")?.trim();
  if (code) {
    state.code = code;
    $("code").value = code;
  }
  await connect();
  document.body.dataset.ready = "true";
}

start();
