// The API client: one base URL (same origin by default, or a deployed API kept in
// localStorage), one request function that reports every request to listeners.

const STORAGE_KEY = "linkpulse.apiBase";
const listeners = new Set();
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
