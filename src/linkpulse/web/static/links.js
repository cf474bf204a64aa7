// The links table: GET /api/v1/links with search, tag, order and cursor pages, and per
// row: stats, edit (URL, title, tags), disable/enable and delete (confirmed in the row).
// Every value from the API goes on the page as text (dom.js).

import { errorText, request } from "./api.js";
import { $, fmtDateTime, fmtInt, h, safeHref, setChildren } from "./dom.js";

const PAGE_SIZE = 20;
const COLUMNS = ["Short link", "Destination", "Tags", "Clicks", "Created", "Actions"];

const view = {
  next: null, // the cursor of the next page, or null
  shown: 0,
  ticket: 0, // the latest listing asked for; older answers are dropped
  onStats: () => {},
  onChange: () => {},
  fieldIds: 0,
};

function say(text, kind = "info") {
  const el = $("links-msg");
  el.textContent = text;
  el.dataset.kind = kind;
}

function listPath(cursor) {
  const params = new URLSearchParams({ order: $("links-order").value, limit: String(PAGE_SIZE) });
  const search = $("links-search").value.trim();
  const tag = $("links-tag").value.trim();
  if (search) params.set("search", search);
  if (tag) params.set("tag", tag);
  if (cursor) params.set("cursor", cursor);
  return `/api/v1/links?${params}`;
}

function linkPath(code) {
  return `/api/v1/links/${encodeURIComponent(code)}`;
}

function expired(link) {
  return Number.isFinite(link.expires_at) && link.expires_at * 1000 <= Date.now();
}

// ---- rows ---------------------------------------------------------------------------

function tagList(tags) {
  if (!tags.length) return h("span", { class: "muted" }, "–");
  return h("ul", { class: "tags" }, ...tags.map((tag) => h("li", {},
    h("button", { type: "button", class: "chip", title: `Show links tagged ${tag}`,
      "data-tag": tag }, tag))));
}

function actionButtons(link) {
  const code = link.code;
  return [
    h("button", { type: "button", class: "btn small-btn", "data-act": "stats",
      "aria-label": `Stats of ${code}` }, "Stats"),
    h("button", { type: "button", class: "btn small-btn", "data-act": "edit",
      "aria-label": `Edit ${code}` }, "Edit"),
    h("button", { type: "button", class: "btn small-btn", "data-act": "toggle",
      "aria-label": `${link.disabled ? "Enable" : "Disable"} ${code}` },
    link.disabled ? "Enable" : "Disable"),
    h("button", { type: "button", class: "btn small-btn danger", "data-act": "delete",
      "aria-label": `Delete ${code}` }, "Delete"),
  ];
}

function linkRow(link) {
  const href = safeHref(link.short_url);
  const status = link.disabled ? "disabled" : expired(link) ? "expired" : null;
  const clicks = link.clicks ?? { total: 0, human: 0 };
  const row = h("tr", { "data-code": link.code },
    h("td", {},
      href ? h("a", { href, target: "_blank", rel: "noopener noreferrer", class: "mono" },
        link.code) : h("span", { class: "mono" }, link.code),
      status ? h("span", { class: "tag state" }, status) : null),
    h("td", { class: "dest" },
      link.title ? h("span", { class: "title" }, link.title) : null,
      h("span", { class: "url muted break" }, link.original_url)),
    h("td", {}, tagList(link.tags ?? [])),
    h("td", { class: "num" }, h("span", { class: "total" }, fmtInt(clicks.total)),
      h("span", { class: "muted small sub" }, `${fmtInt(clicks.human)} human`)),
    h("td", { class: "nowrap" }, fmtDateTime(link.created_at)),
    h("td", { class: "row-actions" }, ...actionButtons(link)));
  row.link = link;
  if (link.disabled) row.classList.add("is-disabled");
  return row;
}

function emptyRow(text) {
  return h("tr", { class: "empty-row" }, h("td", { colspan: COLUMNS.length, class: "muted" }, text));
}

function showCount() {
  $("links-count").textContent = view.shown
    ? `${view.shown} shown${view.next ? ", more to load" : ""}` : "";
}

// ---- listing --------------------------------------------------------------------------

/** Load the first page (or, with more=true, the next one). Resolves to the API result. */
export async function loadLinks({ more = false } = {}) {
  const ticket = ++view.ticket;
  const button = $("links-more");
  button.disabled = true;
  const result = await request("GET", listPath(more ? view.next : null), { kind: "links" });
  if (ticket !== view.ticket) return result; // a newer search answered or is on its way
  button.disabled = false;
  if (!result.ok || !result.data) {
    if (result.status !== 401) say(errorText(result), "error");
    return result;
  }
  const body = $("t-links").tBodies[0];
  if (!more) {
    body.replaceChildren();
    view.shown = 0;
  }
  body.querySelector(".empty-row")?.remove();
  for (const link of result.data.links) body.append(linkRow(link));
  view.shown += result.data.links.length;
  view.next = result.data.next || null;
  button.hidden = !view.next;
  if (view.shown === 0) {
    const filtered = $("links-search").value.trim() || $("links-tag").value.trim();
    body.append(emptyRow(filtered ? "No link matches." : "No links yet: shorten one."));
  }
  showCount();
  say("");
  return result;
}

/** Forget what is listed (no key, or another API). */
export function clearLinks() {
  view.ticket += 1;
  view.next = null;
  view.shown = 0;
  $("t-links").tBodies[0].replaceChildren();
  $("links-more").hidden = true;
  showCount();
  say("");
}

// ---- per-row actions --------------------------------------------------------------------

async function patch(row, changes, done) {
  const code = row.link.code;
  const result = await request("PATCH", linkPath(code), { kind: "manage", json: changes });
  if (!result.ok || !result.data) {
    say(`${code}: ${errorText(result)}`, "error");
    return false;
  }
  // PATCH answers the link without its click totals: keep the ones listed.
  const fresh = linkRow({ ...result.data, clicks: row.link.clicks });
  row.replaceWith(fresh);
  say(`${code}: ${done}.`, "ok");
  view.onChange(code);
  return fresh;
}

function field(label, input, hint) {
  const id = `link-edit-${++view.fieldIds}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input,
    hint ? h("p", { class: "hint" }, hint) : null);
}

function splitTags(text) {
  return text.split(",").map((t) => t.trim()).filter(Boolean);
}

function startEdit(row) {
  const link = row.link;
  const url = h("input", { type: "url", spellcheck: "false", autocomplete: "off" });
  url.value = link.original_url;
  const title = h("input", { type: "text", autocomplete: "off", maxlength: 200 });
  title.value = link.title ?? "";
  const tags = h("input", { type: "text", spellcheck: "false", autocomplete: "off" });
  tags.value = (link.tags ?? []).join(", ");
  const form = h("form", { class: "edit-form", novalidate: true,
    "aria-label": `Edit ${link.code}` },
  h("p", { class: "edit-code" }, "Editing ", h("span", { class: "mono" }, link.code)),
  field("URL", url), field("Title", title), field("Tags", tags, "Separated by commas."),
  h("div", { class: "row" },
    h("button", { type: "submit", class: "btn primary small-btn" }, "Save"),
    h("button", { type: "button", class: "btn small-btn", "data-act": "cancel" }, "Cancel")));
  const editRow = h("tr", { class: "editing" }, h("td", { colspan: COLUMNS.length }, form));
  editRow.link = link;
  row.replaceWith(editRow);
  title.focus();

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const changes = {};
    if (url.value.trim() !== link.original_url) changes.url = url.value.trim();
    const newTitle = title.value.trim() || null;
    if (newTitle !== (link.title ?? null)) changes.title = newTitle;
    const newTags = splitTags(tags.value);
    if (newTags.join("\n") !== (link.tags ?? []).join("\n")) changes.tags = newTags;
    if (Object.keys(changes).length === 0) {
      editRow.replaceWith(linkRow(link));
      return;
    }
    const fresh = await patch(editRow, changes, "saved");
    fresh?.querySelector("[data-act='edit']")?.focus();
  });
  form.querySelector("[data-act='cancel']").addEventListener("click", () => {
    const back = linkRow(link);
    editRow.replaceWith(back);
    back.querySelector("[data-act='edit']").focus();
  });
}

function confirmDelete(row) {
  const code = row.link.code;
  const cell = row.querySelector(".row-actions");
  const before = [...cell.childNodes];
  const yes = h("button", { type: "button", class: "btn small-btn danger-solid" },
    "Delete for good");
  const no = h("button", { type: "button", class: "btn small-btn" }, "Keep");
  const question = h("div", { class: "confirm", role: "group", "aria-label": `Delete ${code}?` },
    h("span", {}, `Delete ${code}? Its short link will answer 410 for good.`), yes, no);
  setChildren(cell, question);
  no.focus();
  no.addEventListener("click", () => {
    setChildren(cell, ...before);
    cell.querySelector("[data-act='delete']").focus();
  });
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    const result = await request("DELETE", linkPath(code), { kind: "manage" });
    if (result.status !== 204) {
      yes.disabled = false;
      say(`${code}: ${errorText(result)}`, "error");
      return;
    }
    row.remove();
    view.shown = Math.max(0, view.shown - 1);
    showCount();
    say(`Deleted ${code}.`, "ok");
    view.onChange(code, { deleted: true });
  });
}

function onTableClick(event) {
  const target = event.target instanceof Element ? event.target : null;
  const chip = target?.closest("button[data-tag]");
  if (chip) {
    $("links-tag").value = chip.dataset.tag;
    loadLinks();
    return;
  }
  const button = target?.closest("button[data-act]");
  const row = button?.closest("tr");
  if (!button || !row?.link || row.classList.contains("editing")) return;
  const act = button.dataset.act;
  if (act === "stats") view.onStats(row.link.code);
  else if (act === "edit") startEdit(row);
  else if (act === "delete") confirmDelete(row);
  else if (act === "toggle") {
    const disabled = !row.link.disabled;
    patch(row, { disabled }, disabled ? "disabled, its short link answers 410" : "enabled")
      .then((fresh) => fresh?.querySelector("[data-act='toggle']")?.focus());
  }
}

/**
 * Wire the panel: onStats(code) opens a link's stats; onChange(code, {deleted}) follows
 * an edit or a deletion.
 */
export function initLinks({ onStats, onChange }) {
  view.onStats = onStats;
  view.onChange = onChange;
  const head = h("thead", {}, h("tr", {}, ...COLUMNS.map((c, i) =>
    h("th", { scope: "col", class: i === 3 ? "num" : null }, c))));
  setChildren($("t-links"), head, h("tbody"));
  $("links-form").addEventListener("submit", (e) => {
    e.preventDefault();
    loadLinks();
  });
  $("links-order").addEventListener("change", () => loadLinks());
  $("links-more").addEventListener("click", () => loadLinks({ more: true }));
  $("t-links").addEventListener("click", onTableClick);
}
