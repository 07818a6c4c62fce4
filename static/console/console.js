/* The console's small behaviours, all progressive: without this script every page still works. */
(function () {
  "use strict";
  // Phone width: the navigation folds under the menu button (the header gets .is-collapsible).
  var header = document.querySelector("header.top");
  var toggle = header && header.querySelector(".nav-toggle");
  if (toggle) {
    header.classList.add("is-collapsible");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = header.classList.toggle("is-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // Tables scroll sideways inside their own box, never the page. The box can take focus so that a
  // keyboard user can scroll it too.
  document.querySelectorAll("main table").forEach(function (table) {
    if (table.parentElement.classList.contains("table-scroll")) return;
    var box = document.createElement("div");
    box.className = "table-scroll";
    box.tabIndex = 0;
    var caption = table.querySelector("caption");
    var heading = caption ? caption.textContent : (table.getAttribute("aria-label") || "");
    if (heading) { box.setAttribute("role", "region"); box.setAttribute("aria-label", heading.trim()); }
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
  });
})();
