// Rendering one link's stats: numbers, tables and the chart. Text only.

import { renderChart } from "./chart.js";
import { $, fmtDateTime, fmtInt, h, setChildren } from "./dom.js";
import { renderHours } from "./hours.js";

function countsTable(table, rows, { header, label, empty = "No clicks yet" }) {
  const max = Math.max(1, ...rows.map((r) => Number(r.count) || 0));
  const head = h("thead", {}, h("tr", {},
    h("th", { scope: "col" }, header), h("th", { scope: "col", class: "num" }, "Clicks")));
  const body = h("tbody");
  if (rows.length === 0) {
    body.append(h("tr", {}, h("td", { colspan: 2, class: "muted" }, empty)));
  }
  for (const row of rows) {
    const [text, muted] = label(row);
    const cell = h("td", { class: muted ? "label muted" : "label" },
      h("span", { class: "meter", "aria-hidden": "true" }),
      h("span", { class: "text", title: text }, text));
    cell.firstChild.style.setProperty("--pct", `${(100 * (Number(row.count) || 0)) / max}%`);
    body.append(h("tr", {}, cell, h("td", { class: "num" }, fmtInt(Number(row.count)))));
  }
  setChildren(table, head, body);
}

const RECENT_COLUMNS = ["Time", "Browser", "OS", "Device", "Bot", "Referrer", "User agent",
  "IP"];

function recentTable(table, clicks) {
  const head = h("thead", {}, h("tr", {},
    ...RECENT_COLUMNS.map((c) => h("th", { scope: "col" }, c))));
  const body = h("tbody");
  if (clicks.length === 0) {
    body.append(h("tr", {}, h("td", { colspan: RECENT_COLUMNS.length, class: "muted" },
      "No clicks yet")));
  }
  for (const click of clicks) {
    const cells = [
      h("time", { datetime: new Date(click.timestamp * 1000).toISOString() },
        fmtDateTime(click.timestamp)),
      click.browser ?? "–", click.os ?? "–", click.device ?? "–",
      h("span", { class: click.is_bot ? "tag bot" : "tag human" }, click.is_bot ? "bot" : "no"),
      click.referer ? click.referer : h("span", { class: "muted" }, "(direct)"),
      click.user_agent ? click.user_agent : h("span", { class: "muted" }, "(none)"),
      click.ip || "–",
    ];
    body.append(h("tr", { "data-click-id": click.click_id },
      ...cells.map((content, i) => h("td", {
        "data-label": RECENT_COLUMNS[i],
        class: i === 5 || i === 6 ? "clip" : null,
        title: typeof content === "string" ? content : content.textContent,
      }, content))));
  }
  setChildren(table, head, body);
}

export function renderStats(stats) {
  $("stats-empty").hidden = true;
  $("stats-body").hidden = false;
  $("stats-code").textContent = stats.code;
  $("stats-original").textContent = stats.original_url;
  $("stats-created").textContent = fmtDateTime(stats.created_at);
  $("stats-expires").textContent = stats.expires_at
    ? ` · expires ${fmtDateTime(stats.expires_at)}` : "";
  $("kpi-total").textContent = fmtInt(stats.total_clicks);
  $("kpi-human").textContent = fmtInt(stats.human_clicks);
  $("kpi-bot").textContent = fmtInt(stats.bot_clicks);
  renderChart($("chart"), stats.clicks_by_day);
  countsTable($("t-referers"), stats.top_referers || [], {
    header: "Referrer",
    label: (r) => (r.referer ? [r.referer, false] : ["(direct)", true]),
  });
  countsTable($("t-agents"), stats.top_user_agents || [], {
    header: "User agent",
    label: (r) => (r.user_agent ? [r.user_agent, false] : ["(none)", true]),
  });
  for (const [id, key, header] of [["t-browsers", "browsers", "Browser"],
    ["t-os", "os", "OS"], ["t-devices", "devices", "Device"]]) {
    countsTable($(id), stats[key] || [], { header, label: (r) => [r.name, false] });
  }
  $("kpi-unique").textContent = Number.isFinite(stats.unique_visitors)
    ? fmtInt(stats.unique_visitors) : "–";
  const countries = Array.isArray(stats.countries) ? stats.countries : null;
  $("countries-section").hidden = countries === null;
  if (countries) {
    countsTable($("t-countries"), countries, {
      header: "Country",
      label: (r) => (r.country === "other" ? ["Other countries", true]
        : knownCountry(r.country) ? [String(r.country), false] : ["(unknown)", true]),
    });
  }
  const hours = Array.isArray(stats.clicks_by_hour) ? stats.clicks_by_hour : null;
  $("hours-section").hidden = hours === null;
  if (hours) renderHours($("hours-chart"), hours);
  const recent = stats.recent_clicks || [];
  recentTable($("t-recent"), recent);
  $("recent-note").textContent = recent.length ? `(latest ${recent.length})` : "";
  $("stats-updated").textContent = `updated ${new Date().toLocaleTimeString("en-GB")}`;
}

export function clearStats(message) {
  $("stats-body").hidden = true;
  $("stats-empty").hidden = false;
  $("stats-empty").textContent = message;
  $("stats-code").textContent = "";
  $("stats-updated").textContent = "";
}

export function redrawChart(stats) {
  if (!stats) return;
  renderChart($("chart"), stats.clicks_by_day);
  if (Array.isArray(stats.clicks_by_hour)) renderHours($("hours-chart"), stats.clicks_by_hour);
}

/** An ISO country code; "" and ZZ (the API's "unknown") are not. */
function knownCountry(code) {
  return typeof code === "string" && code !== "" && code !== "ZZ";
}

const LIVE_COLUMNS = ["Time", "Country", "Browser", "OS", "Device", "Bot", "Referrer"];
const LIVE_KEPT = 20;

/** An empty live table (its header and a hint), for a newly shown link. */
export function resetLive(hint) {
  const table = $("t-live");
  const head = h("thead", {}, h("tr", {},
    ...LIVE_COLUMNS.map((c) => h("th", { scope: "col" }, c))));
  setChildren(table, head, h("tbody", {}, h("tr", { class: "placeholder" },
    h("td", { colspan: LIVE_COLUMNS.length, class: "muted" }, hint))));
  $("live-note").textContent = "";
}

/** One click event on top of the live table (text only), the oldest dropped past 20. */
export function addLive(event) {
  const body = $("t-live").tBodies[0];
  if (!body) return;
  for (const row of body.querySelectorAll("tr.placeholder")) row.remove();
  const ts = Number(event.ts);
  const cells = [
    h("time", { datetime: Number.isFinite(ts) ? new Date(ts * 1000).toISOString() : null },
      fmtDateTime(ts)),
    knownCountry(event.country) ? String(event.country)
      : h("span", { class: "muted" }, "–"),
    String(event.browser ?? "–"), String(event.os ?? "–"), String(event.device ?? "–"),
    h("span", { class: event.is_bot ? "tag bot" : "tag human" }, event.is_bot ? "bot" : "no"),
    event.referer ? String(event.referer) : h("span", { class: "muted" }, "(direct)"),
  ];
  body.prepend(h("tr", { class: "fresh", "data-click-id": String(event.id) },
    ...cells.map((content, i) => h("td", {
      "data-label": LIVE_COLUMNS[i], class: i === 6 ? "clip" : null,
      title: typeof content === "string" ? content : content.textContent,
    }, content))));
  while (body.rows.length > LIVE_KEPT) body.deleteRow(-1);
  $("live-note").textContent = `(latest ${body.rows.length}, as they are recorded)`;
}
