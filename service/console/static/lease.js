// The case page's lease: count it down, and extend it while its holder works on the page.
//
// Reads the lease section's data-* attributes (set by templates/case/lease.html):
//   data-seconds-left   time left when the page was rendered (the server's clock, so a
//                       browser whose clock is off still counts right)
//   data-lease-seconds  how long a lease lasts; an extension is asked at most every third
//   data-mine           "true" when the viewer holds the lease
//   data-active-window  seconds after a key press, pointer move or scroll that count as work
//   data-extend-url     POST here to extend (holder only); answers
//                       {"leased_until": ISO, "seconds_left": s}, or 409 when the case is no
//                       longer the holder's
// The CSRF token is the page's (a form's hidden "csrf" input), sent as X-CSRF-Token.
(function () {
  "use strict";
  const section = document.getElementById("lease");
  if (!section || !section.dataset.secondsLeft) {
    return;
  }
  const countdown = section.querySelector("[data-lease-countdown]");
  const untilText = section.querySelector("[data-lease-until]");
  const message = section.querySelector("[data-lease-message]");
  const actions = section.querySelector("[data-lease-actions]");
  const mine = section.dataset.mine === "true";
  const extendUrl = section.dataset.extendUrl || "";
  const leaseMs = parseFloat(section.dataset.leaseSeconds) * 1000;
  const activeWindowMs = parseFloat(section.dataset.activeWindow || "60") * 1000;
  const csrfInput = document.querySelector('input[name="csrf"]');
  const csrf = csrfInput ? csrfInput.value : "";

  // Deadlines are kept on this page's monotonic clock, from the seconds the server gave.
  let deadline = performance.now() + parseFloat(section.dataset.secondsLeft) * 1000;
  // When the lease was last set: a full lease before its deadline.
  let lastSet = deadline - leaseMs;
  let lastActivity = performance.now();
  let extending = false;
  let over = false;

  function say(text) {
    message.textContent = text;
    message.hidden = false;
  }

  function show(msLeft) {
    const seconds = Math.max(0, Math.ceil(msLeft / 1000));
    const minutes = Math.floor(seconds / 60);
    countdown.textContent = minutes + " min " + (seconds % 60) + " s left";
  }

  function end(text) {
    over = true;
    clearInterval(timer);
    if (countdown) {
      countdown.textContent = "expired";
    }
    if (actions) {
      actions.hidden = true;
    }
    section.classList.add("lease-over");
    say(text);
  }

  // After a failed extension, wait a few seconds (not a whole third) before the next try.
  function retryLater() {
    lastSet = performance.now() - leaseMs / 3 + 5000;
  }

  function extend() {
    extending = true;
    fetch(extendUrl, {
      method: "POST",
      headers: { "X-CSRF-Token": csrf, Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        const json = (response.headers.get("content-type") || "").startsWith("application/json");
        if (response.redirected || !json) {
          end("Your session ended: sign in again to keep working on this case.");
          return null;
        }
        if (response.status === 409) {
          end("This case is no longer yours: your lease expired and the case went back to the queue, or an admin reassigned it. Reload the page to see who holds it.");
          return null;
        }
        if (!response.ok) {
          retryLater();
          say("The lease could not be extended (" + response.status + "); it will be tried again.");
          return null;
        }
        return response.json();
      })
      .then(function (body) {
        if (body && !over) {
          deadline = performance.now() + body.seconds_left * 1000;
          lastSet = performance.now();
          message.hidden = true;
          if (untilText) {
            untilText.textContent = new Date(body.leased_until).toISOString().slice(11, 19);
          }
        }
      })
      .catch(function () {
        retryLater();
        say("The server did not answer; the lease will be extended when it does.");
      })
      .finally(function () {
        extending = false;
      });
  }

  function tick() {
    const now = performance.now();
    const left = deadline - now;
    if (left <= 0) {
      end(
        mine
          ? "Your lease expired and the case went back to the queue. Start reviewing to claim a case again."
          : "The lease expired and the case went back to the queue."
      );
      return;
    }
    show(left);
    const active = now - lastActivity <= activeWindowMs;
    if (mine && extendUrl && active && !extending && !leaving && now - lastSet >= leaseMs / 3) {
      extend();
    }
  }

  function activity() {
    lastActivity = performance.now();
  }

  ["keydown", "pointerdown", "pointermove", "wheel", "scroll", "touchstart"].forEach(function (kind) {
    window.addEventListener(kind, activity, { passive: true, capture: true });
  });
  // A form sent from the page (review, skip, hold) ends what the page does with the lease:
  // an extension racing it would only be refused.
  let leaving = false;
  document.addEventListener("submit", function () { leaving = true; }, { capture: true });
  window.addEventListener("pagehide", function () { leaving = true; });
  const timer = setInterval(tick, 1000);
  tick();
})();
