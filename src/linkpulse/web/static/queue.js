// The queue view: GET /api/queue (an admin key's, or anyone's on an open server) shown in
// the stats numbers and on the pipeline diagram.

import { getBase, getKey, keyLabel, request } from "./api.js";
import { $, fmtInt } from "./dom.js";

// A key without the admin scope may not read the queue (403). The page remembers that for
// the key, so it asks once per key rather than on every visit.
const QUEUE_REFUSED = "linkpulse.queueRefused";
const ADMIN_ONLY = "Only an admin key may read the queue depth";

function keyTag() {
  return `${getBase()} ${keyLabel(getKey())}`;
}

function refusedBefore() {
  try {
    return Boolean(getKey()) && localStorage.getItem(QUEUE_REFUSED) === keyTag();
  } catch {
    return false;
  }
}

/** {refresh, reset}: refresh() resolves to the depths, or null when there are none. */
export function queueWatcher(pipeline) {
  let supported = null; // null = not asked yet, false = not for this API or key

  function unavailable(why) {
    supported = false;
    $("kpi-queue").textContent = "n/a";
    $("kpi-queue").title = why;
  }

  async function refresh() {
    if (supported === false) return null;
    if (refusedBefore()) {
      unavailable(ADMIN_ONLY);
      return null;
    }
    const result = await request("GET", "/api/queue", { kind: "queue" });
    if (result.ok && result.data) {
      supported = true;
      const { visible, in_flight: inFlight, dead_letters: dead } = result.data;
      $("kpi-queue").textContent = fmtInt(visible + inFlight);
      $("kpi-queue").removeAttribute("title");
      pipeline.label("queue", `${visible} waiting`);
      pipeline.label("consumer", `${inFlight} in flight`);
      pipeline.label("dlq", `${dead} message${dead === 1 ? "" : "s"}`);
      pipeline.warn("dlq", dead > 0);
      return result.data;
    }
    if (result.status === 403) {
      if (getKey()) localStorage.setItem(QUEUE_REFUSED, keyTag());
      unavailable(ADMIN_ONLY);
    } else if (result.status === 404) {
      // A deployed AWS API has no queue endpoint: say so once and stop asking.
      unavailable("This API does not report its queue depth");
      pipeline.label("queue", "SQS");
      pipeline.label("dlq", "SQS DLQ");
    }
    return null;
  }

  return { refresh, reset: () => { supported = null; } };
}
