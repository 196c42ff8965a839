// Import upload page: refuse a file over the size limit before uploading it, and show that an upload is under way.
(function () {
  var form = document.querySelector("[data-import-form]");
  if (!form) {
    return;
  }
  var input = form.querySelector("input[type=file][data-max-bytes]");
  var warning = form.querySelector("[data-import-too-large]");
  var submit = form.querySelector("[data-import-submit]");
  if (input && warning && submit) {
    input.addEventListener("change", function () {
      var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
      var tooLarge = input.files.length > 0 && input.files[0].size > limit;
      warning.classList.toggle("d-none", !tooLarge);
      submit.disabled = tooLarge;
    });
  }
  form.addEventListener("submit", function () {
    if (submit) {
      submit.disabled = true;
      submit.insertAdjacentHTML("afterbegin", '<span class="spinner-border spinner-border-sm me-1" aria-hidden="true"></span>');
    }
  });
})();
