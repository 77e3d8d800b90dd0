// Orderly dashboard: a little progressive enhancement. Every page works without it.
(function () {
  "use strict";
  // Ask before destructive actions (cancel an order, revoke a key).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // One click, one request: a double click must not send a form twice.
    var button = form.querySelector && form.querySelector("button[type=submit]");
    if (button) {
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
  });
  // Location pickers jump to the chosen location's page.
  document.querySelectorAll("[data-location-switch] select").forEach(function (select) {
    select.addEventListener("change", function () {
      var base = select.form.getAttribute("data-location-switch");
      window.location.href = base + encodeURIComponent(select.value);
    });
  });
  // A new API key is selected when focused, ready to copy.
  document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
