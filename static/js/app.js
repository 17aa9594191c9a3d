// Site-wide behaviour: when an htmx request fails, say so instead of doing nothing.
// Parts of a page that handle their own failures (autosave, marking) carry
// data-handles-errors and are left alone here.
(function () {
  "use strict";

  const box = () => document.getElementById("htmx-error");
  let hideTimer = null;

  function show(text) {
    const el = box();
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => {
      el.hidden = true;
    }, 15000);
  }

  function handledElsewhere(event) {
    const elt = event.detail && event.detail.elt;
    return elt && elt.closest && elt.closest("[data-handles-errors]");
  }

  function messageFor(status) {
    if (status === 401 || status === 403) {
      return "You are no longer logged in, or not allowed to do that. Reload the page and log in again.";
    }
    if (status === 404) return "That item no longer exists, or is not yours. Reload the page.";
    if (status === 413) return "That was too large to send.";
    if (status === 429) return "Too many requests just now. Wait a moment and try again.";
    if (status === 503) return "The server is temporarily unavailable. Wait a few seconds and try again.";
    return "Something went wrong on the server (error " + status + "). Your change was not saved; please try again.";
  }

  document.addEventListener("htmx:responseError", (event) => {
    if (handledElsewhere(event)) return;
    show(messageFor(event.detail.xhr.status));
  });

  document.addEventListener("htmx:sendError", (event) => {
    if (handledElsewhere(event)) return;
    show("Could not reach the server. Check your connection; your change was not saved.");
  });

  document.addEventListener("htmx:timeout", (event) => {
    if (handledElsewhere(event)) return;
    show("The server took too long to answer. Please try again.");
  });

  // A successful request clears an earlier failure message.
  document.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.successful && !handledElsewhere(event)) {
      const el = box();
      if (el && !el.hidden) el.hidden = true;
    }
  });

  // Expose for page scripts that want the same message box.
  window.glf = Object.assign(window.glf || {}, { showError: show });
})();
