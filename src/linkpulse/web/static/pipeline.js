// The pipeline as a diagram that lights up as requests flow through it.

import { s } from "./dom.js";

const W = 112;
const H = 50;
const COL = [6, 162, 318];
const ROW = [10, 118, 226];

const NODES = [
  { id: "client", title: "Browser", sub: "this page", x: COL[0], y: ROW[0] },
  { id: "api", title: "API", sub: "0 requests", x: COL[1], y: ROW[0] },
  { id: "store", title: "Link store", sub: "links", x: COL[2], y: ROW[0] },
  { id: "queue", title: "Click queue", sub: "–", x: COL[1], y: ROW[1] },
  { id: "dlq", title: "Dead letters", sub: "–", x: COL[2], y: ROW[1] },
  { id: "agg", title: "Aggregates", sub: "per link", x: COL[0], y: ROW[2] },
  { id: "consumer", title: "Consumer", sub: "batches ≤ 10,000", x: COL[1], y: ROW[2] },
];

const mid = (col) => COL[col] + W / 2;
const EDGES = [
  { id: "client-api", d: `M${COL[0] + W} ${ROW[0] + H / 2}H${COL[1]}` },
  { id: "api-store", d: `M${COL[1] + W} ${ROW[0] + H / 2}H${COL[2]}` },
  { id: "api-queue", d: `M${mid(1)} ${ROW[0] + H}V${ROW[1]}`,
    label: "click event", lx: mid(1) + 6, ly: (ROW[0] + H + ROW[1]) / 2 + 4 },
  { id: "queue-dlq", d: `M${COL[1] + W} ${ROW[1] + H / 2}H${COL[2]}` },
  { id: "queue-consumer", d: `M${mid(1)} ${ROW[1] + H}V${ROW[2]}`,
    label: "receive", lx: mid(1) + 6, ly: (ROW[1] + H + ROW[2]) / 2 + 4 },
  { id: "consumer-agg", d: `M${COL[1]} ${ROW[2] + H / 2}H${COL[0] + W}` },
  { id: "api-agg", d: `M${COL[1] + 14} ${ROW[0] + H}V${ROW[0] + H + 22}H${mid(0)}V${ROW[2]}`,
    label: "stats read", lx: mid(0) + 6, ly: ROW[0] + H + 44 },
];

/** Which nodes and edges each kind of request lights up. */
export const FLOWS = {
  health: ["client", "client-api", "api"],
  shorten: ["client", "client-api", "api", "api-store", "store"],
  click: ["client", "client-api", "api", "api-store", "store", "api-queue", "queue"],
  stats: ["client", "client-api", "api", "api-agg", "agg"],
  queue: ["client", "client-api", "api"],
  links: ["client", "client-api", "api", "api-store", "store", "api-agg", "agg"],
  manage: ["client", "client-api", "api", "api-store", "store"],
  consume: ["queue", "queue-consumer", "consumer", "consumer-agg", "agg"],
};

const LIT_MS = 900;

export class Pipeline {
  constructor(container) {
    this.parts = new Map();
    this.subs = new Map();
    this.timers = new Map();
    const svg = s("svg", {
      class: "pipeline-svg", viewBox: "0 0 436 286", role: "img",
      "aria-label": "Pipeline: the browser calls the API; shorten writes the link store; " +
        "a redirect puts a click event on the queue; the consumer records it in the " +
        "aggregates; failing messages go to the dead-letter queue; stats read the aggregates.",
    });
    svg.append(s("defs", {}, s("marker", {
      id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
      orient: "auto-start-reverse",
    }, s("path", { d: "M0 0L10 5L0 10z", class: "arrowhead" }))));
    for (const edge of EDGES) {
      const group = s("g", { class: "edge", "data-part": edge.id, "data-hits": 0 },
        s("path", { d: edge.d, "marker-end": "url(#arrow)" }));
      if (edge.label) {
        group.append(s("text", { x: edge.lx, y: edge.ly, class: "edge-label" }, edge.label));
      }
      svg.append(group);
      this.parts.set(edge.id, group);
    }
    for (const node of NODES) {
      const sub = s("text", { x: node.x + W / 2, y: node.y + 36, class: "node-sub",
        "text-anchor": "middle" }, node.sub);
      const group = s("g", { class: "node", "data-part": node.id, "data-hits": 0 },
        s("rect", { x: node.x, y: node.y, width: W, height: H, rx: 8 }),
        s("text", { x: node.x + W / 2, y: node.y + 20, class: "node-title",
          "text-anchor": "middle" }, node.title),
        sub);
      svg.append(group);
      this.parts.set(node.id, group);
      this.subs.set(node.id, sub);
    }
    container.replaceChildren(svg);
    this.requests = 0;
  }

  /** Light up the parts of one flow for a moment; failed=true marks the API red. */
  flow(kind, { failed = false } = {}) {
    for (const id of FLOWS[kind] || []) this.light(id, failed && id === "api" ? "fail" : "lit");
  }

  light(id, cls = "lit") {
    const part = this.parts.get(id);
    if (!part) return;
    part.setAttribute("data-hits", String(Number(part.getAttribute("data-hits")) + 1));
    part.classList.remove("lit", "fail");
    // Restart the CSS transition even if the part is still lit from the last request.
    void part.getBoundingClientRect();
    part.classList.add(cls);
    clearTimeout(this.timers.get(id));
    this.timers.set(id, setTimeout(() => part.classList.remove("lit", "fail"), LIT_MS));
  }

  countRequest() {
    this.requests += 1;
    this.label("api", `${this.requests} request${this.requests === 1 ? "" : "s"}`);
  }

  label(id, text) {
    const sub = this.subs.get(id);
    if (sub) sub.textContent = text;
  }

  warn(id, on) {
    this.parts.get(id)?.classList.toggle("warn", Boolean(on));
  }
}
