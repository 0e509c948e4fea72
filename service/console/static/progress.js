// Live progress of a run in flight: append each step to the timeline as it is recorded,
// and reload the page when the run is no longer running (its verdict is then on the page).
//
// The timeline's list (templates/case/timeline.html) carries data-progress-url and
// data-after (the last step it shows); the server streams server-sent events: "step"
// ({seq, node, kind, child, duration_ms, error}) and "done" ({status}). Step names and
// errors can hold seller text: they are set with textContent only, never as markup.
(function () {
  "use strict";
  const body = document.getElementById("timeline");
  const note = document.getElementById("progress-note");
  if (!body || !body.dataset.progressUrl) {
    return;
  }
  const url = body.dataset.progressUrl + "?after=" + encodeURIComponent(body.dataset.after || "0");
  const source = new EventSource(url);

  function span(parent, name, text) {
    const part = document.createElement("span");
    part.className = name;
    part.textContent = text;
    parent.appendChild(part);
    parent.appendChild(document.createTextNode(" "));
  }

  source.addEventListener("step", function (event) {
    const step = JSON.parse(event.data);
    const item = document.createElement("li");
    item.className = "step step-new kind-" + String(step.kind) + (step.child ? " child" : "") + (step.error ? " failed" : "");
    const summary = document.createElement("div");
    summary.className = "summary";
    span(summary, "seq", String(step.seq));
    span(summary, "node", step.node);
    span(summary, "kind", step.kind);
    span(summary, "ms", Number(step.duration_ms).toFixed(1) + " ms");
    if (step.error) {
      span(summary, "error", step.error);
    }
    item.appendChild(summary);
    body.appendChild(item);
  });

  source.addEventListener("done", function (event) {
    source.close();
    const status = JSON.parse(event.data).status;
    if (note) {
      note.textContent = "The audit is " + String(status).replace("_", " ") + "; reloading the page.";
    }
    window.location.reload();
  });

  source.addEventListener("error", function () {
    // An EventSource reconnects by itself after a dropped stream; CLOSED means it gave up
    // (signed out, or the run is gone).
    if (source.readyState === EventSource.CLOSED && note) {
      note.textContent = "Live progress stopped; reload the page to see the latest steps.";
    }
  });
})();
