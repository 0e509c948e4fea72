// Live progress of a run in flight: append each step to the timeline as it is recorded,
// and reload the page when the run is no longer running (its verdict is then on the page).
//
// The timeline's table body (templates/case/timeline.html) carries data-progress-url and
// data-after (the last step it shows); the server streams server-sent events: "step"
// ({seq, node, kind, child, duration_ms, error}) and "done" ({status}). Step names and
// errors can hold seller text: they are set with textContent only, never as markup.
(function () {
  "use strict";
  const body = document.getElementById("timeline-steps");
  const note = document.getElementById("progress-note");
  if (!body || !body.dataset.progressUrl) {
    return;
  }
  const url = body.dataset.progressUrl + "?after=" + encodeURIComponent(body.dataset.after || "0");
  const source = new EventSource(url);

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
  }

  source.addEventListener("step", function (event) {
    const step = JSON.parse(event.data);
    const row = document.createElement("tr");
    row.className = "step-new";
    cell(row, String(step.seq));
    cell(row, (step.child ? "\u00a0\u00a0" : "") + step.node);
    cell(row, step.kind);
    cell(row, Number(step.duration_ms).toFixed(1));
    cell(row, step.error || "");
    body.appendChild(row);
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
