// Progress bar for uploads. Without JavaScript the form posts normally; with it, the same
// POST goes through XMLHttpRequest so the bar can follow the bytes. No inline script (CSP).
(function () {
  "use strict";
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) { return; }
      event.preventDefault();
      var bar = form.querySelector(".upload-progress");
      var button = form.querySelector("button[type=submit]");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || window.location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable && bar) { bar.hidden = false; bar.value = Math.round(100 * e.loaded / e.total); }
      });
      xhr.addEventListener("load", function () {
        // Show the page the server answered with (the document, or the form with its errors)
        // without asking for it a second time.
        var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        if (xhr.responseURL && xhr.responseURL !== window.location.href) {
          window.history.pushState(null, "", xhr.responseURL);
        }
        document.title = doc.title;
        document.body.replaceWith(doc.body);
        // A parsed page's scripts never run: start the new page's own again (the sharing
        // fields' picker, this form's progress bar after a refusal), as a page load would.
        document.body.querySelectorAll("script[src]").forEach(function (parsed) {
          var script = document.createElement("script");
          script.src = parsed.src;
          parsed.replaceWith(script);
        });
        window.scrollTo(0, 0);
      });
      xhr.addEventListener("error", function () {
        if (button) { button.disabled = false; }
        if (bar) { bar.hidden = true; }
        window.alert(form.getAttribute("data-upload-error") || "The upload failed. Check your connection and try again.");
      });
      if (button) { button.disabled = true; }
      xhr.send(new FormData(form));
    });
  });
})();
