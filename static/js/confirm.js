// "Still accurate" without reloading the page: the button's form is sent as the button
// would send it, and the question's status line says the new date. Without this script
// (or when the request fails) the button posts the form and the page comes back at the
// question.
(function () {
  "use strict";
  var form = document.querySelector("form.answers");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = form.querySelector(".autosave-status");

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[name='key'][formaction]");
    if (!button) { return; }
    event.preventDefault();
    var body = new FormData();
    body.append("csrf_token", form.querySelector("input[name='csrf_token']").value);
    body.append("key", button.value);
    button.disabled = true;
    fetch(button.getAttribute("formaction"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-Autosave": "1", "Accept": "application/json"}
    }).then(function (response) {
      return response.json().then(function (answer) { return {ok: response.ok, body: answer}; });
    }).then(function (result) {
      button.disabled = false;
      if (status) { status.textContent = result.body.message || ""; }
      if (!result.ok) { return; }
      var line = button.closest(".status");
      var when = line && line.querySelector(".confirmed");
      if (when) {
        when.textContent = result.body.confirmed;
        when.classList.remove("stale");
      }
    }).catch(function () {
      // No answer from the server: the ordinary way (this question only), which shows what
      // happened.
      var plain = document.createElement("form");
      plain.method = "post";
      plain.action = button.getAttribute("formaction");
      [["csrf_token", body.get("csrf_token")], ["key", button.value]].forEach(function (pair) {
        var field = document.createElement("input");
        field.type = "hidden";
        field.name = pair[0];
        field.value = pair[1];
        plain.appendChild(field);
      });
      document.body.appendChild(plain);
      plain.submit();
    });
  });
})();
