// smsgw operator console: confirmation of admin actions and refresh of the
// dashboard. The console works without this script.
"use strict";
document.addEventListener("submit", function (ev) {
  var b = ev.submitter || ev.target.querySelector("[data-confirm]");
  var msg = b && b.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) {
    ev.preventDefault();
  }
});
document.addEventListener("DOMContentLoaded", function () {
  var el = document.querySelector("[data-refresh]");
  if (!el) {
    return;
  }
  var secs = parseInt(el.getAttribute("data-refresh"), 10) || 15;
  window.setInterval(function () {
    // Do not reload under a user who is typing or has a dialog open.
    if (document.visibilityState === "visible" && !document.activeElement.matches("input, select, textarea")) {
      window.location.reload();
    }
  }, secs * 1000);
});
