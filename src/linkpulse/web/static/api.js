// The API client: one base URL (same origin by default, or a deployed API kept in
// localStorage), the API key kept for that base, one request function that reports
// every request to listeners.

const STORAGE_KEY = "linkpulse.apiBase";
const KEY_SLOT = "linkpulse.apiKey@";
const listeners = new Set();
const refusals = new Set();
let sequence = 0;

/** "" (this server) or an absolute http(s) base without a trailing slash; throws if bad. */
export function normalizeBase(raw) {
  const text = String(raw ?? "").trim();
  if (text === "") return "";
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new Error("Enter an absolute URL such as https://api.example.com");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error("The API base must be an http:// or https:// URL");
  }
  const base = url.origin + url.pathname.replace(/\/+$/, "");
  return base === location.origin ? "" : base;
}

export function getBase() {
  try {
    return normalizeBase(localStorage.getItem(STORAGE_KEY) || "");
  } catch {
    return "";
  }
}

export function setBase(raw) {
  const base = normalizeBase(raw);
  if (base) localStorage.setItem(STORAGE_KEY, base);
  else localStorage.removeItem(STORAGE_KEY);
  return base;
}

export function isCrossOrigin() {
  const base = getBase();
  return base !== "" && new URL(base).origin !== location.origin;
}

// ---- the API key: one per API base, so a key is only ever sent where it was entered --

function keySlot() {
  return KEY_SLOT + (getBase() || "this-server");
}

export function getKey() {
  try {
    return localStorage.getItem(keySlot()) || "";
  } catch {
    return "";
  }
}

/** Store a key for the current API base; throws with a readable message if malformed. */
export function setKey(raw) {
  const key = String(raw ?? "").trim();
  if (!/^[\x21-\x7e]{8,256}$/.test(key)) {
    throw new Error("Paste the whole key (it looks like lp_1a2b3c4d_…), without spaces");
  }
  localStorage.setItem(keySlot(), key);
  return key;
}

export function forgetKey() {
  localStorage.removeItem(keySlot());
}

/** What the page shows of a key: its public id (lp_1a2b3c4d…), never the secret part. */
export function keyLabel(key) {
  if (!key) return "none";
  const id = /^(lp_[0-9a-f]{8})_/.exec(key);
  return id ? `${id[1]}…` : "set";
}

/**
 * Called with {keyed} whenever the API answers 401: keyed is true when a stored key was
 * refused (revoked or expired; it has been forgotten already), false when a request
 * without a key was refused (this API needs one).
 */
export function onUnauthorized(listener) {
  refusals.add(listener);
}

export function apiUrl(path) {
  return (getBase() || location.origin) + path;
}

/** Subscribe to request events: {id, phase: "start"|"end", kind, method, path, ...}. */
export function onRequest(listener) {
  listeners.add(listener);
}

function emit(event) {
  for (const listener of listeners) listener(event);
}

/**
 * One API request. kind names the pipeline flow ("shorten", "click", "stats", ...).
 * Resolves to {ok, status, data, error}; never rejects.
 * status is the HTTP status, "3xx" for a redirect the browser did not follow, or
 * "error" when no response came back.
 */
export async function request(method, path, { kind = "api", json, click = false } = {}) {
  const id = ++sequence;
  const at = new Date();
  const started = performance.now();
  emit({ id, phase: "start", kind, method, path, at });
  const init = { method, cache: "no-store", credentials: "omit", headers: {} };
  // A redirect needs no key: clicks are sent without one, as any visitor's would be.
  const key = click ? "" : getKey();
  if (key) init.headers.authorization = `Bearer ${key}`;
  if (json !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  if (click) {
    // Count the click without ever following the redirect to the outside URL: the
    // browser hands back an opaque redirect. (Cross-origin this needs the API to send
    // Access-Control-Allow-Origin on the 302; mode "no-cors" cannot be combined with
    // redirect "manual", and following would fetch the outside URL.)
    init.redirect = "manual";
  }
  let result;
  try {
    const response = await fetch(apiUrl(path), init);
    if (response.type === "opaqueredirect") {
      result = { ok: true, status: "3xx", data: null };
    } else {
      const text = await response.text();
      let data = null;
      try {
        data = text ? JSON.parse(text) : null;
      } catch {
        data = null;
      }
      result = { ok: response.ok, status: response.status, data };
    }
  } catch (error) {
    result = { ok: false, status: "error", data: null, error };
  }
  const ms = performance.now() - started;
  emit({ id, phase: "end", kind, method, path, at, ms, ...result });
  if (result.status === 401 && !click) {
    if (key && getKey() === key) forgetKey();
    for (const listener of refusals) listener({ keyed: Boolean(key) });
  }
  return result;
}

/** The API's error message for a failed result, in words. */
export function errorText(result) {
  if (result.data && typeof result.data.error === "string") return result.data.error;
  if (result.status === "error") {
    return isCrossOrigin()
      ? "The API did not answer (is it up, and does its CORS setting allow this page?)"
      : "The API did not answer; is linkpulse still running?";
  }
  return `Unexpected answer from the API (HTTP ${result.status})`;
}
