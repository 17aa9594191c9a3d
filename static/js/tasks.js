// The task editor: show the chosen kind of mark scheme, keep question cards in the server's
// order after a move or delete, manage focus after in-place swaps, warn before leaving with
// unsaved edits, and the print button. Everything here is an enhancement: without it the
// pages work as plain forms.
(function () {
  "use strict";

  // Mark scheme kind: the form carries data-scheme-kind; CSS hides the other kind's rows.
  function syncSchemeKind(form) {
    const checked = form.querySelector("input[data-scheme-kind]:checked");
    if (checked) form.dataset.schemeKind = checked.value;
  }

  function initForms(root) {
    root.querySelectorAll("form[data-question-form]").forEach(syncSchemeKind);
    root.querySelectorAll("[data-print]").forEach((button) => {
      button.hidden = false;
    });
  }

  document.addEventListener("change", (event) => {
    const input = event.target;
    if (input.matches && input.matches("input[data-scheme-kind]")) {
      syncSchemeKind(input.form);
    }
  });

  // Unsaved edits: a question form typed in and not yet saved.
  document.addEventListener("input", (event) => {
    const form = event.target.closest && event.target.closest("form[data-question-form]");
    if (form) form.dataset.dirty = "1";
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("form[data-question-form]")) delete form.dataset.dirty;
  });

  window.addEventListener("beforeunload", (event) => {
    if (document.querySelector("form[data-question-form][data-dirty]")) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  function renumber() {
    const list = document.getElementById("question-list");
    if (!list) return;
    list.querySelectorAll(":scope > .question").forEach((card, index) => {
      card.querySelectorAll(".question__number").forEach((span) => {
        span.textContent = String(index + 1);
      });
    });
  }

  // The server answers a move with the task's question ids in order. Moving the existing
  // cards (rather than re-rendering them) keeps any question that is open for editing intact.
  document.body.addEventListener("questions-reordered", (event) => {
    const list = document.getElementById("question-list");
    const detail = event.detail || {};
    if (!list || !Array.isArray(detail.order)) return;
    const active = document.activeElement;
    detail.order.forEach((id) => {
      const card = document.getElementById("question-" + id);
      if (card) list.appendChild(card);
    });
    renumber();
    if (active && document.contains(active)) active.focus();
  });

  // After a question is deleted, focus goes to the list heading rather than the page top.
  document.body.addEventListener("question-deleted", () => {
    renumber();
    const heading = document.getElementById("questions-heading");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  });

  // "Keep it" on an in-place delete confirmation: just close it.
  document.addEventListener("click", (event) => {
    const keep = event.target.closest && event.target.closest("[data-dismiss-confirm]");
    if (keep) {
      event.preventDefault();
      const card = keep.closest(".question");
      const box = keep.closest("[data-confirm-box]");
      if (box) box.remove();
      const button = card && card.querySelector(".question__tools .button--danger");
      if (button) button.focus();
      return;
    }
    const print = event.target.closest && event.target.closest("[data-print]");
    if (print) window.print();
  });

  // Focus after an in-place swap: the first field in error, a newly added row, a question
  // just saved, or the first field of an editor just opened.
  document.body.addEventListener("htmx:afterSettle", (event) => {
    const target = event.detail && event.detail.elt;
    initForms(document);
    if (!target || !target.querySelector) return;
    const swapped = target.isConnected ? target : document;
    const invalid = swapped.querySelector('[aria-invalid="true"]');
    const wanted = document.querySelector("[data-focus-me]");
    if (invalid) {
      invalid.focus();
    } else if (wanted) {
      wanted.removeAttribute("data-focus-me");
      wanted.focus();
    } else if (event.detail.requestConfig && event.detail.requestConfig.verb === "get") {
      const form = swapped.querySelector("form[data-question-form]");
      const first = form && form.querySelector("textarea, input:not([type=hidden])");
      if (first) first.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", () => initForms(document));
})();
