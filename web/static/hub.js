/* Small progressive enhancements; every page works without them.
   - [data-copy="#id"]: copy the value of that input to the clipboard.
   - form[data-confirm]: ask before submitting (removing a connection, a recipe, a person).
   No inline handlers: the content security policy allows only this file and htmx. */
(function () {
  "use strict";

  function copyFrom(button) {
    var target = document.querySelector(button.getAttribute("data-copy"));
    if (!target) { return; }
    var text = target.value !== undefined ? target.value : target.textContent;
    var done = function () {
      var original = button.firstChild.nodeValue;
      button.firstChild.nodeValue = "Copied";
      button.classList.add("copied");
      setTimeout(function () { button.firstChild.nodeValue = original; button.classList.remove("copied"); }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { target.select(); });
    } else {
      target.focus();
      target.select();
      try { if (document.execCommand("copy")) { done(); } } catch (e) { /* selected for manual copy */ }
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (button) { event.preventDefault(); copyFrom(button); }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  }, true);
})();
