// Survey staff pages (response explorer, survey links, survey settings). No inline scripts (strict CSP); every
// behaviour here only adds to a page that already works without JavaScript.

// Response explorer: warn before a too-large import upload starts (the server checks again).
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) {
    return;
  }
  var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
  var warning = input.form ? input.form.querySelector("[data-size-warning]") : null;
  var tooLarge = input.files && input.files[0] && limit && input.files[0].size > limit;
  if (warning) {
    warning.hidden = !tooLarge;
  }
  input.setCustomValidity(tooLarge ? (warning ? warning.textContent : "Too large") : "");
});

// Copy a link: <button data-copy="input id" data-copy-done="status id" data-copied-text=".." data-fallback-text="..">.
// The clipboard API where the browser allows it; otherwise the text is selected for Ctrl+C and the status says so.
(function () {
  "use strict";
  var timers = {};

  function announce(button, text) {
    var status = document.getElementById(button.getAttribute("data-copy-done"));
    if (!status) { return; }
    status.textContent = text;
    window.clearTimeout(timers[status.id]);
    timers[status.id] = window.setTimeout(function () { status.textContent = ""; }, 4000);
  }

  function selectText(input) {
    input.focus();
    input.select();
    if (input.setSelectionRange) { input.setSelectionRange(0, input.value.length); }
  }

  function fallback(button, input) {
    selectText(input);
    var copied = false;
    try { copied = document.execCommand && document.execCommand("copy"); } catch (e) { copied = false; }
    announce(button, copied ? button.getAttribute("data-copied-text") : button.getAttribute("data-fallback-text"));
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) { button.hidden = false; });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) { return; }
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) { return; }
    if (navigator.clipboard && navigator.clipboard.writeText && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(
        function () { announce(button, button.getAttribute("data-copied-text")); },
        function () { fallback(button, input); }
      );
    } else {
      fallback(button, input);
    }
  });
})();

// A searchable option list: <input data-option-filter="list id"> hides the options of the list whose
// data-search text does not contain what was typed, and a group (data-option-group) with none left.
(function () {
  "use strict";

  function normalise(text) {
    return (text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").trim();
  }

  function apply(input) {
    var list = document.getElementById(input.getAttribute("data-option-filter"));
    if (!list) { return; }
    var terms = normalise(input.value).split(/\s+/).filter(Boolean);
    var matches = 0;
    list.querySelectorAll("[data-option-group]").forEach(function (group) {
      var visible = 0;
      group.querySelectorAll("[data-search]").forEach(function (option) {
        var text = normalise(option.getAttribute("data-search"));
        var match = terms.every(function (t) { return text.indexOf(t) !== -1; });
        // A ticked option stays visible, so a search never hides what will be saved.
        var checkbox = option.querySelector("input[type=checkbox]");
        var keep = match || (checkbox && checkbox.checked);
        option.hidden = !keep;
        if (keep) { visible += 1; }
        if (match) { matches += 1; }
      });
      group.hidden = visible === 0;
    });
    var empty = list.querySelector("[data-option-empty]");
    if (empty) { empty.hidden = matches !== 0; }
  }

  document.querySelectorAll("[data-option-filter]").forEach(function (input) {
    var wrapper = input.closest("[data-option-filter-wrapper]");
    if (wrapper) { wrapper.hidden = false; }
    input.addEventListener("input", function () { apply(input); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); } // typing a search never submits the form
    });
  });
})();
