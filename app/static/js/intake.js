/* The intake steps, enhanced. Every page works without this script; it only adds:
   - danger or crisis chosen: what to do now appears at once (without the script, the next
     page starts with it);
   - the language switcher sends the page first, so what was typed on it is kept as well
     (without the script, the answers of the steps already sent are kept). */
(function () {
  "use strict";

  var crisisBox = document.querySelector("[data-crisis-box]");
  if (crisisBox) {
    document.addEventListener("change", function (event) {
      var target = event.target;
      if (target && target.name === "urgency") {
        crisisBox.hidden = target.value !== "crisis";
      }
    });
  }

  var form = document.querySelector("form[data-keep-answers]");
  if (form) {
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[data-lang]") : null;
      if (!link || event.defaultPrevented || event.button !== 0 ||
          event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
        return;  // a new tab or window: the plain link
      }
      event.preventDefault();
      var language = document.createElement("input");
      language.type = "hidden";
      language.name = "switch_language";
      language.value = link.getAttribute("data-lang");
      form.appendChild(language);
      form.submit();
    });
  }
})();
