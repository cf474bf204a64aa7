// Following one link's clicks as they are recorded: GET /api/v1/events as a stream of
// Server-Sent Events (linkpulse serve), read with fetch so the API key goes in a header
// (EventSource cannot send one). An API that answers JSON instead (AWS: a cursor poll)
// is polled; one that has no such route (an older linkpulse) falls back to polling the
// stats. Event data is only ever put on the page as text.

import { apiUrl, getKey } from "./api.js";

const POLL_MS = 5000;
const RETRY_MS = 3000;

function parseBlock(block) {
  const fields = {};
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const at = line.indexOf(":");
    const name = at < 0 ? line : line.slice(0, at);
    const value = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
    fields[name] = name in fields ? `${fields[name]}\n${value}` : value;
  }
  return fields;
}

function parseClick(text) {
  try {
    const data = JSON.parse(text);
    return data && typeof data === "object" && typeof data.id === "string" ? data : null;
  } catch {
    return null;
  }
}

/**
 * Follow `code`: onClick(event) for each recorded click, onMode(mode) when the way of
 * following changes: "stream", "poll" (the API's cursor poll), "stats" (no event route:
 * the caller polls the stats), "error". Returns stop().
 */
export function follow(code, { onClick, onMode }) {
  const controller = new AbortController();
  let lastId = "";
  let timer = 0;
  let stopped = false;

  const path = () => `/api/v1/events?code=${encodeURIComponent(code)}` +
    (lastId ? `&after=${encodeURIComponent(lastId)}` : "");

  function deliver(data) {
    if (!data || (lastId && data.id <= lastId)) return;
    lastId = data.id;
    onClick(data);
  }

  async function readStream(response) {
    onMode("stream");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const fields = parseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (fields.event === "click" && "data" in fields) deliver(parseClick(fields.data));
      }
    }
  }

  async function once() {
    const headers = { accept: "text/event-stream, application/json" };
    const key = getKey();
    if (key) headers.authorization = `Bearer ${key}`;
    const response = await fetch(apiUrl(path()), {
      headers, cache: "no-store", credentials: "omit", signal: controller.signal,
    });
    const type = response.headers.get("content-type") || "";
    if (response.ok && type.startsWith("text/event-stream")) {
      await readStream(response);
      return RETRY_MS; // the server ended the stream: reconnect, resuming after lastId
    }
    if (response.ok && type.startsWith("application/json")) {
      const page = await response.json();
      const first = !lastId;
      for (const data of Array.isArray(page.events) ? page.events : []) {
        if (!first) deliver(data);
      }
      if (typeof page.last_event_id === "string" && page.last_event_id > lastId) {
        lastId = page.last_event_id;
      }
      onMode("poll");
      return POLL_MS;
    }
    onMode(response.status === 404 || response.status === 405 ? "stats" : "error");
    return null;
  }

  async function loop() {
    while (!stopped) {
      let wait;
      try {
        wait = await once();
      } catch {
        if (stopped) return;
        onMode("error");
        wait = RETRY_MS;
      }
      if (wait === null || stopped) return;
      await new Promise((resolve) => {
        timer = setTimeout(resolve, wait);
      });
    }
  }

  loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
    controller.abort();
  };
}
