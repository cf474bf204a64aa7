// Clicks per day as a bar chart drawn with SVG elements (no library, no HTML strings).
// Drawn at the figure's real pixel width so its text stays readable on a phone.

import { s, setChildren } from "./dom.js";

const DAY_MS = 86_400_000;
const MIN_DAYS = 14;
const MAX_DAYS = 60;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
  "Nov", "Dec"];

function parseDay(day) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day));
  return match ? Date.UTC(+match[1], +match[2] - 1, +match[3]) : null;
}

function dayKey(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

function dayLabel(ms) {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
}

/** A continuous run of UTC days ending today (or at the last day with clicks). */
export function dayRange(clicksByDay, now = Date.now()) {
  const counts = new Map();
  for (const row of clicksByDay || []) {
    const ms = parseDay(row.day);
    if (ms !== null) counts.set(ms, (counts.get(ms) || 0) + Number(row.count || 0));
  }
  const today = parseDay(dayKey(now));
  const known = [...counts.keys()];
  const end = Math.max(today, ...known);
  let start = Math.min(end - (MIN_DAYS - 1) * DAY_MS, ...known);
  start = Math.max(start, end - (MAX_DAYS - 1) * DAY_MS);
  const days = [];
  for (let ms = start; ms <= end; ms += DAY_MS) {
    days.push({ ms, day: dayKey(ms), count: counts.get(ms) || 0 });
  }
  return days;
}

/** The smallest round number >= value whose half is a whole number (the middle tick). */
function niceMax(value) {
  if (value <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    const candidate = Math.round(step * magnitude);
    if (candidate >= value && candidate % 2 === 0) return candidate;
  }
  return 10 * magnitude;
}

export function renderChart(figure, clicksByDay) {
  const days = dayRange(clicksByDay);
  const width = Math.max(260, Math.floor(figure.clientWidth || 600));
  const height = 190;
  const pad = { top: 18, right: 8, bottom: 26, left: 34 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = niceMax(Math.max(0, ...days.map((d) => d.count)));
  const slot = plotW / days.length;
  const barW = Math.max(2, Math.min(28, slot * 0.7));
  const y = (v) => pad.top + plotH - (v / max) * plotH;
  const total = days.reduce((sum, d) => sum + d.count, 0);
  const busiest = days.reduce((a, b) => (b.count > a.count ? b : a), days[0]);

  const svg = s("svg", {
    class: "chart-svg", width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Clicks per day, ${days[0].day} to ${days[days.length - 1].day} (UTC): ` +
      `${total} clicks` + (busiest.count ? `, most on ${busiest.day} (${busiest.count})` : ""),
  });
  for (const tick of [0, max / 2, max]) {
    svg.append(
      s("line", { class: "grid", x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick) }),
      s("text", { class: "axis", x: pad.left - 6, y: y(tick) + 4, "text-anchor": "end" },
        String(tick)),
    );
  }
  const labelEvery = Math.ceil(days.length / Math.max(2, Math.floor(plotW / 56)));
  days.forEach((d, i) => {
    const cx = pad.left + slot * i + slot / 2;
    const barH = (d.count / max) * plotH;
    const bar = s("rect", {
      class: d.count ? "bar" : "bar zero", x: cx - barW / 2, y: y(d.count) - (d.count ? 0 : 1),
      width: barW, height: Math.max(barH, d.count ? 1 : 1), rx: 2,
      "data-day": d.day, "data-count": d.count,
    }, s("title", {}, `${d.day}: ${d.count} click${d.count === 1 ? "" : "s"}`));
    svg.append(bar);
    if (d.count && slot >= 14) {
      svg.append(s("text", { class: "value", x: cx, y: y(d.count) - 5, "text-anchor": "middle" },
        String(d.count)));
    }
    const last = i === days.length - 1;
    if (last || (i % labelEvery === 0 && days.length - 1 - i >= labelEvery / 2)) {
      svg.append(s("text", {
        class: "axis", x: cx, y: height - 8, "text-anchor": last ? "end" : "middle",
        dx: last ? slot / 2 - 2 : 0,
      }, last && d.ms === parseDay(dayKey(Date.now())) ? "today" : dayLabel(d.ms)));
    }
  });
  svg.append(s("line", {
    class: "baseline", x1: pad.left, x2: width - pad.right, y1: y(0), y2: y(0),
  }));
  setChildren(figure, svg);
  return { days, total };
}
