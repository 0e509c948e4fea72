// The console's keys (press ? on any page). No key acts while a text box has focus,
// except Ctrl+Enter (submit the review) and Escape (leave the box).
"use strict";
(function () {
  const help = document.getElementById("keys-help");
  const review = document.getElementById("review-form");

  // A radio, a checkbox or a button with focus takes no letters: the keys still work there.
  const KEYLESS_INPUTS = ["radio", "checkbox", "button", "submit", "reset"];

  function typing(target) {
    if (!(target instanceof HTMLElement)) return false;
    if (target.isContentEditable || ["TEXTAREA", "SELECT"].includes(target.tagName)) return true;
    return target.tagName === "INPUT" && !KEYLESS_INPUTS.includes(target.type);
  }

  function toggleHelp() {
    if (!help) return;
    if (help.open) help.close(); else help.showModal();
  }

  function chooseDecision(n) {
    const radio = review && review.querySelector(`input[name=decision][data-key="${n}"]`);
    if (radio) { radio.checked = true; radio.focus(); }
    return Boolean(radio);
  }

  function clauseKey(key, cite) {
    if (cite) {
      const box = review && review.querySelector(`input[name=clause_ids][data-key="${key}"]`);
      if (box) { box.checked = !box.checked; box.focus(); }
      return Boolean(box);
    }
    const clause = document.querySelector(`details.clause[data-key="${key}"]`);
    if (clause) {
      clause.open = !clause.open;
      clause.scrollIntoView({ block: "nearest" });
    }
    return Boolean(clause);
  }

  function toggleTimeline() {
    const steps = Array.from(document.querySelectorAll("#timeline details"));
    const open = !steps.some((d) => d.open);
    steps.forEach((d) => { d.open = open; });
    return steps.length > 0;
  }

  function submitAndNext() {
    const next = document.getElementById("submit-next");
    if (!review || !next) return false;
    review.requestSubmit(next);
    return true;
  }

  function claimNext() {
    const claim = document.querySelector("form.claim");
    if (claim) claim.requestSubmit();
    return Boolean(claim);
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      if (submitAndNext()) event.preventDefault();
      return;
    }
    if (event.key === "Escape" && typing(event.target)) {
      event.target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    let handled = false;
    if (event.key === "?") { toggleHelp(); handled = true; }
    else if (["1", "2", "3"].includes(event.key)) handled = chooseDecision(event.key);
    else if (event.key === "r") {
      const reason = document.getElementById("reason");
      if (reason) { reason.focus(); handled = true; }
    }
    else if (event.key === "e") handled = toggleTimeline();
    else if (event.key === "n") handled = claimNext();
    else if (/^[a-zA-Z]$/.test(event.key)) handled = clauseKey(event.key.toLowerCase(), event.shiftKey);
    if (handled) event.preventDefault();
  });

  // A reject or restrict must rest on a clause: say so before the server has to.
  if (review) {
    review.addEventListener("submit", (event) => {
      const decision = review.querySelector("input[name=decision]:checked");
      const cited = review.querySelectorAll("input[name=clause_ids]:checked").length;
      const first = review.querySelector("input[name=clause_ids]");
      if (decision && decision.value !== "approve" && cited === 0 && first) {
        first.setCustomValidity(`To ${decision.value}, cite at least one clause.`);
        first.reportValidity();
        event.preventDefault();
      } else if (first) {
        first.setCustomValidity("");
      }
    });
    review.addEventListener("change", () => {
      const first = review.querySelector("input[name=clause_ids]");
      if (first) first.setCustomValidity("");
    });
  }
})();
