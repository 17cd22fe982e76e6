// Display conditions on a section page: a question shown only when another question of the
// same section has one of given answers is hidden while it has none of them (as the reading
// pages and the submit check treat it). Without this script every question shows, with a
// line saying when to answer it. A question with an error or a conflict to merge stays shown.
(function () {
  "use strict";
  var form = document.querySelector("form.answers");
  if (!form) { return; }
  var dependents = form.querySelectorAll("fieldset[data-condition-key]");
  if (!dependents.length) { return; }

  function chosen(key) {
    var found = [];
    var fields = form.querySelectorAll("[name='" + key + ".value']");
    if (!fields.length) { return null; }  // the question is in another section
    fields.forEach(function (field) {
      if ((field.type === "radio" || field.type === "checkbox") && !field.checked) { return; }
      if (field.value) { found.push(field.value); }
    });
    return found;
  }

  function update() {
    dependents.forEach(function (fieldset) {
      var values = chosen(fieldset.getAttribute("data-condition-key"));
      if (values === null) { return; }
      var wanted = JSON.parse(fieldset.getAttribute("data-condition-values") || "[]");
      var shown = values.some(function (v) { return wanted.indexOf(v) !== -1; });
      var keep = fieldset.querySelector(".merge, [aria-invalid='true']");
      fieldset.hidden = !shown && !keep;
    });
  }

  form.addEventListener("change", update);
  update();
})();
