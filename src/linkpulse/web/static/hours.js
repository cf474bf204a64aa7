// Clicks per hour (UTC) as a bar chart of SVG elements: the stats' clicks_by_hour, a
// list of {hour: "YYYY-MM-DDTHH", count}, oldest first. Hours without clicks in between
// are drawn as zero, up to the last 31 days.

import { s, setChildren } from "./dom.js";

const HOUR_MS = 3_600_000;
const MAX_HOURS = 31 * 24;

function parseHour(hour) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/.exec(String(hour));
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4]) : null;
}

function hourKey(ms) {
  return new Date(ms).toISOString().slice(0, 13);
}

/** Every hour from the first to the last one given (at most the last 31 days). */
export function hourRange(clicksByHour) {
  const counts = new Map();
  for (const row of clicksByHour || []) {
    const ms = parseHour(row.hour);
    if (ms !== null) counts.set(ms, (counts.get(ms) || 0) + (Number(row.count) || 0));
  }
  if (counts.size === 0) return [];
  const end = Math.max(...counts.keys());
  const start = Math.max(Math.min(...counts.keys()), end - (MAX_HOURS - 1) * HOUR_MS);
  const hours = [];
  for (let ms = start; ms <= end; ms += HOUR_MS) {
    hours.push({ ms, hour: hourKey(ms), count: counts.get(ms) || 0 });
  }
  return hours;
}

export function renderHours(figure, clicksByHour) {
  const hours = hourRange(clicksByHour);
  if (hours.length === 0) {
    setChildren(figure, s("svg", { class: "chart-svg", width: 260, height: 24, role: "img",
      "aria-label": "No clicks in this range" },
    s("text", { class: "axis", x: 0, y: 16 }, "No clicks in this range")));
    return { hours, total: 0 };
  }
  const width = Math.max(260, Math.floor(figure.clientWidth || 600));
  const height = 150;
  const pad = { top: 14, right: 8, bottom: 24, left: 34 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = Math.max(1, ...hours.map((h) => h.count));
  const slot = plotW / hours.length;
  const barW = Math.max(1, Math.min(18, slot * 0.75));
  const y = (v) => pad.top + plotH - (v / max) * plotH;
  const total = hours.reduce((sum, h) => sum + h.count, 0);
  const svg = s("svg", {
    class: "chart-svg", width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Clicks per hour, ${hours[0].hour}:00 to ` +
      `${hours[hours.length - 1].hour}:00 (UTC): ${total} clicks`,
  });
  for (const tick of [0, max]) {
    svg.append(
      s("line", { class: "grid", x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick) }),
      s("text", { class: "axis", x: pad.left - 6, y: y(tick) + 4, "text-anchor": "end" },
        String(tick)));
  }
  const labelEvery = Math.ceil(hours.length / Math.max(2, Math.floor(plotW / 64)));
  hours.forEach((h, i) => {
    const cx = pad.left + slot * i + slot / 2;
    svg.append(s("rect", {
      class: h.count ? "bar" : "bar zero", x: cx - barW / 2, y: y(h.count) - (h.count ? 0 : 1),
      width: barW, height: Math.max((h.count / max) * plotH, 1), rx: 1,
      "data-hour": h.hour, "data-count": h.count,
    }, s("title", {}, `${h.hour}:00 UTC: ${h.count} click${h.count === 1 ? "" : "s"}`)));
    if (i % labelEvery === 0) {
      svg.append(s("text", { class: "axis", x: cx, y: height - 8, "text-anchor": "middle" },
        `${h.hour.slice(5, 10)} ${h.hour.slice(11)}h`));
    }
  });
  svg.append(s("line", { class: "baseline", x1: pad.left, x2: width - pad.right,
    y1: y(0), y2: y(0) }));
  setChildren(figure, svg);
  return { hours, total };
}
