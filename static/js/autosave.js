// Autosave of a section's answers: two seconds after the last change, the form is sent as the
// Save button would send it, and the page learns the new revisions. A refusal (a colleague's
// save, an answer to correct) stops autosaving and says to use the Save button, which shows
// the details. Without this script, the Save button does everything.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave='on']");
  if (!form || !window.fetch) { return; }
  var status = form.querySelector(".autosave-status");
  var timer = null;
  var stopped = false;
  var sending = false;
  var again = false;

  function say(text) { if (status) { status.textContent = text; } }

  function send() {
    if (stopped) { return; }
    if (sending) { again = true; return; }
    sending = true;
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: {"X-Autosave": "1", "Accept": "application/json"}
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (result) {
      say(result.body.message || "");
      if (!result.ok) { stopped = true; return; }
      Object.keys(result.body.bases || {}).forEach(function (key) {
        var base = form.querySelector("input[name='" + key + ".base']");
        if (base) { base.value = String(result.body.bases[key]); }
      });
    }).catch(function () {
      stopped = true;
      say(form.getAttribute("data-offline") || "");
    }).then(function () {
      sending = false;
      if (again && !stopped) { again = false; send(); }
    });
  }

  function changed() {
    if (stopped) { return; }
    window.clearTimeout(timer);
    timer = window.setTimeout(send, 2000);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () { stopped = true; window.clearTimeout(timer); });
})();
