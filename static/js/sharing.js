// Sharing fields: the State picker shows only for "Selected States", a filter box narrows
// the list, and a line says who will see the document. Without JavaScript every control
// shows and the server refuses a contradiction. No inline script (CSP).
(function () {
  "use strict";
  document.querySelectorAll("[data-sharing]").forEach(function (box) {
    var picker = box.querySelector("[data-state-picker]");
    var filter = box.querySelector("[data-state-filter]");
    var summary = box.querySelector("[data-sharing-summary]");
    var court = box.querySelector("input[type=checkbox][name$=share_with_court]");
    function audience() {
      var checked = box.querySelector("input[type=radio]:checked");
      return checked ? checked.value : "";
    }
    function picked() {
      return picker ? picker.querySelectorAll("input[type=checkbox]:checked").length : 0;
    }
    function update() {
      var kind = audience();
      if (picker) { picker.hidden = kind !== "selected_states"; }
      if (!summary) { return; }
      var parts = [box.getAttribute("data-text-base")];
      if (kind === "all_states") { parts.push(box.getAttribute("data-text-all")); }
      if (kind === "selected_states") {
        parts.push(box.getAttribute("data-text-selected").replace("{n}", String(picked())));
      }
      if (court && court.checked) { parts.push(box.getAttribute("data-text-court")); }
      summary.textContent = parts.join("; ") + ".";
    }
    box.addEventListener("change", update);
    if (filter) {
      filter.addEventListener("input", function () {
        var q = filter.value.trim().toLowerCase();
        picker.querySelectorAll("[data-state-name]").forEach(function (item) {
          item.hidden = q !== "" && item.getAttribute("data-state-name").indexOf(q) === -1;
        });
      });
    }
    update();
  });
})();
