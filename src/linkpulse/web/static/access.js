// The API key on the page: taken once from the address (#key=..., the link `serve`
// prints), or typed into the key panel; kept in localStorage (api.js) and shown only by
// its public id. The panel doubles as the prompt when the API needs a key.

import { forgetKey, getKey, keyLabel, setKey } from "./api.js";
import { $ } from "./dom.js";

const panel = { locked: false, onChange: () => {} };

/**
 * Store a key found in the address as #key=... and take it out of the address bar at
 * once, so it is neither bookmarked nor shared. Returns true when a key was stored.
 */
export function takeKeyFromAddress() {
  const match = /^#key=([^&]*)/.exec(location.hash);
  if (!match) return false;
  const url = new URL(location.href);
  url.hash = "";
  history.replaceState(null, "", url.pathname + url.search);
  try {
    setKey(decodeURIComponent(match[1]));
    return true;
  } catch {
    return false;
  }
}

export function showKeyLabel() {
  const key = getKey();
  $("key-label").textContent = keyLabel(key);
  $("key-forget").hidden = !key;
}

export function isLocked() {
  return panel.locked;
}

function say(text, kind = "info") {
  const el = $("key-msg");
  el.textContent = text;
  el.dataset.kind = kind;
}

/**
 * Show the key panel. locked=true: the API cannot be used without a key, so the rest of
 * the page is put away until one is entered. offerOpen shows "Continue without a key".
 */
export function openKeyPanel({ message = "", kind = "info", locked = false, offerOpen = false } = {}) {
  panel.locked = locked;
  $("main").toggleAttribute("data-locked", locked);
  $("key-panel").hidden = false;
  $("key-toggle").setAttribute("aria-expanded", "true");
  $("key-close").hidden = locked;
  $("key-anonymous").hidden = !offerOpen;
  $("key-title").textContent = locked ? "This API needs a key" : "API key";
  say(message, kind);
  showKeyLabel();
  $("key-input").focus();
}

export function closeKeyPanel() {
  panel.locked = false;
  $("main").removeAttribute("data-locked");
  $("key-panel").hidden = true;
  $("key-toggle").setAttribute("aria-expanded", "false");
  $("key-input").value = "";
  $("key-input").removeAttribute("aria-invalid");
}

async function changed() {
  closeKeyPanel();
  showKeyLabel();
  await panel.onChange();
}

/** Wire the key control; onChange() runs after the key was saved, forgotten or skipped. */
export function initAccess({ onChange }) {
  panel.onChange = onChange;
  showKeyLabel();
  $("key-toggle").addEventListener("click", () => {
    if ($("key-panel").hidden) openKeyPanel();
    else if (!panel.locked) closeKeyPanel();
  });
  $("key-close").addEventListener("click", closeKeyPanel);
  $("key-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("key-input");
    try {
      setKey(input.value);
    } catch (err) {
      input.setAttribute("aria-invalid", "true");
      say(err.message, "error");
      input.focus();
      return;
    }
    await changed();
  });
  $("key-forget").addEventListener("click", async () => {
    forgetKey();
    await changed();
  });
  $("key-anonymous").addEventListener("click", changed);
  window.addEventListener("hashchange", async () => {
    if (takeKeyFromAddress()) await changed();
  });
}
