// Copy buttons: <button data-copy="ID" hidden> copies the text of element ID (of
// the <code> inside it, when it holds one). Shown only where the
// clipboard can be written; without JavaScript the text stays selectable as it is.
(function () {
  "use strict";
  if (!navigator.clipboard) { return; }
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-copy") + "-status");
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText((source.querySelector("code") || source).textContent.trim()).then(function () {
        if (status) { status.textContent = "Copied."; }
      }, function () {
        if (status) { status.textContent = "Could not copy: select the text and copy it yourself."; }
      });
    });
  });
}());
