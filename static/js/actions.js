// Closed loop: small conveniences on the case page (no inline scripts: strict CSP).
(function () {
  "use strict";
  // Logging an e-mail: the usual outcome is "sent"; a call: "reached". Changing the channel suggests it.
  var DEFAULT_OUTCOME = { email: "sent", phone: "reached", sms: "sent" };
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
