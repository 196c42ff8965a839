// Closed loop: small conveniences on the case page (no inline scripts: strict CSP).
(function () {
  "use strict";
  // Logging an e-mail: the usual outcome is "sent"; a call: "reached". Changing the channel suggests it.
  var DEFAULT_OUTCOME = { email: "sent", phone: "reached", sms: "sent" };
  // The inbox's bulk assignment: "select all" ticks every case checkbox of its form.
  document.addEventListener("change", function (event) {
    var all = event.target;
    if (!all.matches || !all.matches("[data-select-all]") || !all.form) {
      return;
    }
    all.form.querySelectorAll('input[type=checkbox][name="' + all.dataset.selectAll + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });
  document.addEventListener("change", function (event) {
    var channel = event.target;
    if (!channel.matches || !channel.matches("[data-contact-channel]")) {
      return;
    }
    var outcome = channel.form && channel.form.querySelector("[data-contact-outcome]");
    var wanted = DEFAULT_OUTCOME[channel.value];
    if (outcome && wanted) {
      outcome.value = wanted;
    }
  });
})();
