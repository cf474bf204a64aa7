// Rendering one link's stats: numbers, tables and the chart. Text only.

import { renderChart } from "./chart.js";
import { $, fmtDateTime, fmtInt, h, setChildren } from "./dom.js";

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
  if (stats) renderChart($("chart"), stats.clicks_by_day);
}
