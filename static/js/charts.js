// Draws every plotly figure of a page: <div data-plotly="ID"> with the figure JSON in
// <script type="application/json" id="ID"> (Django's json_script). Figures are built in Python; no inline
// scripts are needed, so the strict Content-Security-Policy holds. Re-runs after htmx swaps.
(function () {
  "use strict";
  var CONFIG = { responsive: true, displaylogo: false };
  var locale = null; // the page's plotly locale (<script id="plotly-locale">, {% plotly_locale %}), registered once

  function localeName() {
    if (locale === null) {
      locale = "";
      var node = document.getElementById("plotly-locale");
      if (node) {
        try {
          var spec = JSON.parse(node.textContent);
          window.Plotly.register({
            moduleType: "locale",
            name: spec.name,
            dictionary: spec.dictionary,
            format: spec.format,
          });
          locale = spec.name;
        } catch (err) {
          locale = "";
        }
      }
    }
    return locale;
  }

  function draw(root) {
    if (!window.Plotly || !root || !root.querySelectorAll) {
      return;
    }
    var nodes = root.querySelectorAll("[data-plotly]");
    if (root.matches && root.matches("[data-plotly]")) {
      nodes = [root].concat(Array.prototype.slice.call(nodes));
    }
    Array.prototype.forEach.call(nodes, function (el) {
      var source = document.getElementById(el.getAttribute("data-plotly"));
      if (!source || el.getAttribute("data-plotly-drawn") === source.textContent.length + "") {
        return;
      }
      var figure;
      try {
        figure = JSON.parse(source.textContent);
      } catch (err) {
        return;
      }
      var config = Object.assign({}, CONFIG, figure.config || {});
      if (localeName() && !config.locale) {
        config.locale = localeName();
      }
      window.Plotly.react(el, figure.data || [], figure.layout || {}, config);
      el.setAttribute("data-plotly-drawn", source.textContent.length + "");
    });
  }

  function drawAll() {
    draw(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    draw(event.target);
  });
  window.cxCharts = { draw: draw };
})();
