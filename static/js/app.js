// Small behaviours that must not live in inline scripts (strict CSP).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches && el.matches("[data-autosubmit]")) {
    el.form.submit();
  }
});
document.addEventListener("click", function (event) {
  var el = event.target.closest ? event.target.closest("[data-confirm]") : null;
  if (el && !window.confirm(el.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
// A "back" link (error pages): go back in the browser's history when there is one, else follow the link.
document.addEventListener("click", function (event) {
  var el = event.target.closest ? event.target.closest("[data-history-back]") : null;
  if (el && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
