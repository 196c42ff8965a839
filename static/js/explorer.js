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
