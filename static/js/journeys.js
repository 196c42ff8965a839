// Journey map behaviours (strict CSP: no inline scripts).
(function () {
  "use strict";
  var scrollLeft = null;

  // Re-rendering the map after a move must not jump a phone user back to the first stage.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var map = document.getElementById("journey-map");
    if (map) {
      scrollLeft = map.scrollLeft;
    }
  });

  document.body.addEventListener("htmx:afterSettle", function (event) {
    var map = document.getElementById("journey-map");
    if (map && scrollLeft !== null) {
      map.scrollLeft = scrollLeft;
      scrollLeft = null;
    }
    // An inline form that just appeared gets the keyboard focus on its first field (once).
    var form = document.querySelector("form.inline-form:not([data-focused])");
    if (form) {
      form.setAttribute("data-focused", "1");
      var field = form.querySelector("input:not([type=hidden]), select, textarea");
      if (field) {
        field.focus();
      }
    }
  });
})();
