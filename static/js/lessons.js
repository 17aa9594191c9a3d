// Lessons: annotating a selection of a passage, and opening notes from highlights.
//
// A passage's text element holds exactly passage.text (white-space: pre-wrap), so the
// offsets of a selection inside it, counted in code points like Python, are the model's
// offsets. Without this script every form still works: a teacher types the words, and a
// highlight is a link to its note in the list beside the text.
(function () {
  "use strict";

  // Python counts code points; JavaScript strings count UTF-16 units.
  const codePoints = (text) => Array.from(text).length;

  let lastSelection = null; // {passageId, start, end, quote}
  let popover = null;
  let popoverOpener = null;

  function passageTextOf(node) {
    const el = node && (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
    return el ? el.closest(".passage__text[data-passage]") : null;
  }

  // The current selection within one passage's text, trimmed of spaces, or null.
  function readSelection() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    const textEl = passageTextOf(range.startContainer) || passageTextOf(range.endContainer);
    if (!textEl || !textEl.closest("[data-annotatable]")) return null;
    const clipped = document.createRange();
    clipped.selectNodeContents(textEl);
    if (textEl.contains(range.startContainer)) {
      clipped.setStart(range.startContainer, range.startOffset);
    }
    if (textEl.contains(range.endContainer)) {
      clipped.setEnd(range.endContainer, range.endOffset);
    }
    const before = document.createRange();
    before.selectNodeContents(textEl);
    before.setEnd(clipped.startContainer, clipped.startOffset);
    const raw = clipped.toString();
    const quote = raw.trim();
    if (!quote) return null;
    const lead = raw.length - raw.trimStart().length;
    const start = codePoints(before.toString()) + codePoints(raw.slice(0, lead));
    return {
      passageId: textEl.dataset.passage,
      start: start,
      end: start + codePoints(quote),
      quote: quote,
      rect: clipped.getBoundingClientRect(),
    };
  }

  function blockOf(passageId) {
    return document.getElementById("passage-" + passageId);
  }

  function hideSelectionButtons() {
    document.querySelectorAll(".annotate-selection").forEach((button) => {
      if (document.activeElement !== button) button.hidden = true;
    });
  }

  function showSelectionButton(found) {
    const block = blockOf(found.passageId);
    const button = block && block.querySelector(".annotate-selection");
    if (!button) return;
    const blockRect = block.getBoundingClientRect();
    button.hidden = false;
    const width = button.offsetWidth;
    const left = Math.min(
      Math.max(found.rect.left - blockRect.left, 4),
      Math.max(blockRect.width - width - 4, 4)
    );
    button.style.left = left + "px";
    button.style.top = found.rect.bottom - blockRect.top + 6 + "px";
  }

  let selectionTimer = null;
  document.addEventListener("selectionchange", () => {
    clearTimeout(selectionTimer);
    selectionTimer = setTimeout(() => {
      const found = readSelection();
      hideSelectionButtons();
      if (found) {
        lastSelection = found;
        showSelectionButton(found);
      }
    }, 120);
  });

  function fillForm(form, found) {
    form.querySelector('textarea[name$="quote"]').value = found.quote;
    form.querySelector('input[name$="-start"]').value = found.start;
    form.querySelector('input[name$="-end"]').value = found.end;
    const occurrence = form.querySelector('input[name$="occurrence"]');
    if (occurrence) occurrence.value = "";
  }

  // Put the selected words into the passage's "Add a note" form and go to it.
  function annotate(found) {
    const block = blockOf(found.passageId);
    const form = block && block.querySelector(".annotation-form");
    if (!form) return;
    fillForm(form, found);
    const details = form.closest("details");
    if (details) details.open = true;
    const next = form.querySelector('select[name$="kind"]');
    (next || form).focus();
    hideSelectionButtons();
  }

  document.addEventListener("mousedown", (event) => {
    // Keep the selection when the button beside it is pressed.
    if (event.target.closest(".annotate-selection")) event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    const annotateButton = event.target.closest(".annotate-selection");
    if (annotateButton) {
      const found = readSelection() || lastSelection;
      if (found && found.passageId === annotateButton.dataset.passage) annotate(found);
      return;
    }
    const useButton = event.target.closest(".use-selection");
    if (useButton) {
      const form = useButton.closest(".quote-form");
      const found = readSelection() || lastSelection;
      if (found && form && found.passageId === form.dataset.passage) {
        fillForm(form, found);
      } else if (window.glf && window.glf.showError) {
        window.glf.showError(
          "First select the words in this passage’s text, then choose “Use selected words”."
        );
      }
    }
  });

  // Typing the words by hand: the server finds them (the old selection no longer applies).
  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!field.matches || !field.matches('.quote-form textarea[name$="quote"]')) return;
    const form = field.closest(".quote-form");
    form.querySelector('input[name$="-start"]').value = "";
    form.querySelector('input[name$="-end"]').value = "";
  });

  document.addEventListener("keydown", (event) => {
    if (event.altKey && event.shiftKey && event.code === "KeyA") {
      const found = readSelection();
      if (found) {
        event.preventDefault();
        annotate(found);
      }
    }
  });

  // Notes pop-up ------------------------------------------------------------------------

  function closePopover(returnFocus) {
    if (!popover) return;
    popover.remove();
    popover = null;
    if (popoverOpener) {
      popoverOpener.classList.remove("is-open");
      popoverOpener.setAttribute("aria-expanded", "false");
      if (returnFocus && document.body.contains(popoverOpener)) popoverOpener.focus();
    }
    popoverOpener = null;
  }

  function openPopover(highlight) {
    const ids = (highlight.dataset.notes || "").split(" ").filter(Boolean);
    const notes = ids.map((id) => document.getElementById("note-" + id)).filter(Boolean);
    if (!notes.length) return false;
    closePopover(false);

    popover = document.createElement("div");
    popover.className = "note-popover";
    popover.setAttribute("role", "dialog");
    popover.setAttribute("aria-labelledby", "note-popover-title");
    popover.tabIndex = -1;

    const bar = document.createElement("div");
    bar.className = "note-popover__bar";
    const title = document.createElement("h2");
    title.className = "note-popover__title";
    title.id = "note-popover-title";
    title.textContent = notes.length === 1 ? "Note" : notes.length + " notes on these words";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "button button--small";
    close.textContent = "Close";
    close.addEventListener("click", () => closePopover(true));
    bar.append(title, close);

    const list = document.createElement("ol");
    list.className = "notes__list";
    notes.forEach((note) => {
      const copy = note.cloneNode(true);
      copy.removeAttribute("id");
      copy.querySelectorAll("[id]").forEach((el) => el.removeAttribute("id"));
      copy.querySelectorAll(".note__back").forEach((el) => el.remove());
      list.append(copy);
    });
    popover.append(bar, list);
    document.body.append(popover);
    if (window.htmx) window.htmx.process(popover);

    const rect = highlight.getBoundingClientRect();
    const width = popover.offsetWidth;
    const left = Math.min(
      Math.max(rect.left + window.scrollX, window.scrollX + 8),
      window.scrollX + document.documentElement.clientWidth - width - 8
    );
    popover.style.left = left + "px";
    popover.style.top = rect.bottom + window.scrollY + 8 + "px";

    popoverOpener = highlight;
    highlight.classList.add("is-open");
    highlight.setAttribute("aria-expanded", "true");
    close.focus();
    return true;
  }

  document.addEventListener("click", (event) => {
    const highlight = event.target.closest("a.hl[data-notes]");
    if (highlight) {
      // A click that ends a text selection is for annotating, not for opening notes.
      const selection = window.getSelection();
      if (selection && !selection.isCollapsed && selection.toString().trim()) {
        event.preventDefault();
        return;
      }
      if (openPopover(highlight)) event.preventDefault();
      return;
    }
    if (popover && !popover.contains(event.target)) closePopover(false);
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && popover) {
      event.preventDefault();
      closePopover(true);
      return;
    }
    // Links open with Enter; a highlight opens with Space too, as a button would.
    if (event.key === " " && event.target.matches && event.target.matches("a.hl[data-notes]")) {
      event.preventDefault();
      openPopover(event.target);
    }
  });

  // Editing or deleting from the pop-up replaces the passage; the pop-up has done its job.
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (popover && popover.contains(event.detail.elt)) popover.hidden = true;
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    if (popover && popover.hidden) closePopover(false);
  });

  // Buttons that only work with this script are revealed by it (also in swapped content).
  function enhance(root) {
    root.querySelectorAll(".use-selection").forEach((button) => {
      button.hidden = false;
    });
    root.querySelectorAll("a.hl[data-notes]").forEach((highlight) => {
      highlight.setAttribute("aria-haspopup", "dialog");
      highlight.setAttribute("aria-expanded", "false");
    });
  }

  if (window.htmx) {
    window.htmx.onLoad(enhance);
  } else {
    document.addEventListener("DOMContentLoaded", () => enhance(document));
  }
})();
