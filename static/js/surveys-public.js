// Public survey page: show a follow-up ("why?") once its score is picked. Without JS every question is shown.
(function () {
  "use strict";
  var form = document.querySelector("form.sv-form");
  if (!form) { return; }
  var followUps = form.querySelectorAll("[data-follow-up-for]");

  function sync() {
    followUps.forEach(function (el) {
      var parent = el.getAttribute("data-follow-up-for");
      var picked = form.querySelector('input[name="q_' + parent + '"]:checked');
      var text = el.querySelector("textarea");
      var typed = text && text.value.trim() !== "";
      el.hidden = !(picked || typed || el.classList.contains("sv-q-error"));
    });
  }

  form.addEventListener("change", sync);
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    // Disable after the browser has taken the form data, so a double tap does not post twice.
    window.setTimeout(function () { button.disabled = true; }, 0);
  });
  sync();
})();
