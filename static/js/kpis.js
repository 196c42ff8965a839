// KPI pages: show the custom date inputs only when the period filter is "custom".
(function () {
  "use strict";
  function sync(form) {
    var period = form.querySelector("[name=period]");
    var custom = form.querySelectorAll("[data-custom-period]");
    if (!period) {
      return;
    }
    Array.prototype.forEach.call(custom, function (el) {
      el.hidden = period.value !== "custom";
    });
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-kpi-filters]"), function (form) {
      sync(form);
      var period = form.querySelector("[name=period]");
      if (period) {
        // Custom needs both dates before submitting: the generic auto-submit is taken off this select.
        period.removeAttribute("data-autosubmit");
        period.addEventListener("change", function () {
          sync(form);
          if (period.value !== "custom") {
            form.submit();
          }
        });
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
