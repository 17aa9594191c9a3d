// Evidence: quoting a source into an answer (the student's task page) and choosing key
// evidence by selecting words (the question editor).
//
// On the task page, selecting words in a source shows a "Quote as evidence" button beside
// them (also reachable with Tab after the passage's text, or Alt+Shift+Q). It fills the
// question's small quote form (passage, words, offsets) and presses its button: htmx posts
// it, and the reply (the question's evidence list) carries the quotation in
// data-new-quotation, which this script inserts at the cursor of that question's answer box
// before letting the page's autosave save it. The question is the one whose answer box was
// last focused (or the one the passage is linked to, or the first).
//
// A passage's text element holds exactly passage.text, so the offsets of a selection inside
// it, counted in code points like Python, are the model's offsets.
// Without this script the quote forms still work: the student types or pastes the words.
(function () {
  "use strict";

  const codePoints = (text) => Array.from(text).length;

  // The same loose comparison as services.evidence.comparable.
  const PLAIN = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ",
  };
  function comparable(text) {
    return text
      .normalize("NFC")
      .replace(/[\u2018\u2019\u201a\u201b\u2032\u201c\u201d\u201e\u2033\u2013\u2014\u2212\u00a0]/g, (ch) => PLAIN[ch])
      .replace(/\s+/g, " ")
      .trim()
      .toLowerCase();
  }

  function say(text) {
    if (window.glf && window.glf.showError) window.glf.showError(text);
  }

  // The current selection inside one text element matching `selector`, trimmed, or null.
  function readSelection(selector) {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    const holder = (node) => {
      const el = node && (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
      return el ? el.closest(selector) : null;
    };
    const textEl = holder(range.startContainer) || holder(range.endContainer);
    if (!textEl) return null;
    const clipped = document.createRange();
    clipped.selectNodeContents(textEl);
    if (textEl.contains(range.startContainer)) clipped.setStart(range.startContainer, range.startOffset);
    if (textEl.contains(range.endContainer)) clipped.setEnd(range.endContainer, range.endOffset);
    const before = document.createRange();
    before.selectNodeContents(textEl);
    before.setEnd(clipped.startContainer, clipped.startOffset);
    const raw = clipped.toString();
    const quote = raw.trim();
    if (!quote) return null;
    const lead = raw.length - raw.trimStart().length;
    const start = codePoints(before.toString()) + codePoints(raw.slice(0, lead));
    return {
      textEl: textEl,
      passageId: textEl.dataset.passage,
      start: start,
      end: start + codePoints(quote),
      quote: quote,
      rect: clipped.getBoundingClientRect(),
    };
  }

  function setField(root, suffix, value) {
    const field = root.querySelector('[name$="' + suffix + '"]');
    if (field) field.value = value;
    return field;
  }

  // The student's task page --------------------------------------------------------------

  const answersForm = document.getElementById("answers-form");
  const SOURCE_TEXT = "#task-source .passage__text[data-passage]";
  let lastQuestion = null; // the question whose answer box was last focused
  // Where each answer box's cursor was: a selection made elsewhere may reset the box's own.
  const cursors = new Map();
  let lastSelection = null;
  let selectionButton = null;

  function questionIds() {
    return Array.from(document.querySelectorAll(".evidence-block[data-evidence-for]")).map(
      (block) => block.dataset.evidenceFor
    );
  }

  function questionNumber(id) {
    return questionIds().indexOf(id) + 1;
  }

  function targetQuestion(passageId) {
    const ids = questionIds();
    if (lastQuestion && ids.includes(lastQuestion)) return lastQuestion;
    const linked = ids.find((id) => {
      const section = document.getElementById("question-" + id);
      return section && (section.dataset.linked || "").split(" ").includes(passageId);
    });
    return linked || ids[0] || null;
  }

  function makeSelectionButton() {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button button--small button--primary quote-selection no-print";
    button.hidden = true;
    button.addEventListener("mousedown", (event) => event.preventDefault()); // keep the selection
    button.addEventListener("click", () => {
      const found = readSelection(SOURCE_TEXT) || lastSelection;
      if (found) quote(found);
    });
    return button;
  }

  function showSelectionButton(found) {
    if (!selectionButton) selectionButton = makeSelectionButton();
    const passage = found.textEl.closest(".passage") || found.textEl.parentElement;
    // Right after the text, so Tab from the passage reaches it.
    if (selectionButton.previousElementSibling !== found.textEl) found.textEl.after(selectionButton);
    const target = targetQuestion(found.passageId);
    const count = questionIds().length;
    selectionButton.textContent =
      count > 1 && target ? "Quote as evidence in question " + questionNumber(target) : "Quote as evidence";
    selectionButton.hidden = false;
    const box = passage.getBoundingClientRect();
    const width = selectionButton.offsetWidth;
    const left = Math.min(Math.max(found.rect.left - box.left, 4), Math.max(box.width - width - 4, 4));
    selectionButton.style.left = left + "px";
    selectionButton.style.top = found.rect.bottom - box.top + 6 + "px";
  }

  function hideSelectionButton() {
    if (selectionButton && document.activeElement !== selectionButton) selectionButton.hidden = true;
  }

  // Fill the question's quote form with the selection and press its button (htmx posts it).
  function quote(found) {
    const id = targetQuestion(found.passageId);
    const block = id && document.getElementById("answer-" + id + "-evidence");
    const button = block && block.querySelector("[data-quote-button]");
    if (!button) {
      say("This work can no longer be changed, so nothing can be quoted into it.");
      return;
    }
    const select = setField(block, "-quote-passage", found.passageId);
    if (!select || select.value !== found.passageId) {
      say("Quote from one of this task's sources.");
      return;
    }
    setField(block, "-quote-words", found.quote);
    setField(block, "-quote-start", String(found.start));
    setField(block, "-quote-end", String(found.end));
    setField(block, "-quote-occurrence", "");
    if (selectionButton) selectionButton.hidden = true;
    button.click();
  }

  function rememberCursor(textarea) {
    const block = textarea.closest(".answer[data-question]");
    if (block) lastQuestion = block.dataset.question;
  }

  function insertQuotation(id, quotation) {
    const textarea = document.getElementById("answer-" + id + "-text");
    if (!textarea) return;
    const value = textarea.value;
    // A box never used gets the quotation at its end.
    const known = cursors.get(id) || { start: value.length, end: value.length };
    const start = Math.min(known.start, value.length);
    const end = Math.min(Math.max(known.end, start), value.length);
    const before = value.slice(0, start);
    const after = value.slice(end);
    const lead = before && !/\s$/.test(before) ? " " : "";
    const trail = after && !/^[\s.,;:!?)]/.test(after) ? " " : "";
    textarea.value = before + lead + quotation + trail + after;
    const caret = (before + lead + quotation).length;
    showQuestions();
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
    cursors.set(id, { start: caret, end: caret });
    lastQuestion = id;
    // The page's autosave listens for input; then save at once rather than after a pause.
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    const answer = document.getElementById("answer-" + id);
    if (answer && window.htmx) window.htmx.trigger(answer, "save-now");
  }

  // On a phone only one pane shows: after quoting, show the answer.
  function showQuestions() {
    const layout = document.getElementById("task-layout");
    const button = document.querySelector('[data-pane-switch] [data-pane="questions"]');
    if (layout && layout.dataset.show === "source" && button) button.click();
  }

  // Flag quotations whose words are no longer in the answer, as the student types.
  function updateFlags(id) {
    const textarea = document.getElementById("answer-" + id + "-text");
    const block = document.getElementById("answer-" + id + "-evidence");
    if (!textarea || !block) return;
    const text = comparable(textarea.value);
    block.querySelectorAll(".evidence-item[data-quote]").forEach((item) => {
      const present = text.includes(comparable(item.dataset.quote));
      item.classList.toggle("evidence-item--missing", !present);
      const flag = item.querySelector("[data-missing]");
      if (flag) flag.hidden = present;
    });
  }

  function setUpTaskPage() {
    document.addEventListener("selectionchange", () => {
      clearTimeout(setUpTaskPage.timer);
      setUpTaskPage.timer = setTimeout(() => {
        const found = readSelection(SOURCE_TEXT);
        if (found) {
          lastSelection = found;
          showSelectionButton(found);
        } else {
          hideSelectionButton();
        }
      }, 120);
    });

    document.addEventListener("keydown", (event) => {
      if (event.altKey && event.shiftKey && event.code === "KeyQ") {
        const found = readSelection(SOURCE_TEXT);
        if (found) {
          event.preventDefault();
          quote(found);
        }
      }
    });

    answersForm.addEventListener("focusin", (event) => {
      if (event.target.matches("textarea.answer__text-input")) rememberCursor(event.target);
    });
    // Not on focusout or select: Chrome may reset a box's selection as a selection is made
    // elsewhere, and those events then report the reset, not where the student was.
    ["keyup", "mouseup", "input"].forEach((type) => {
      answersForm.addEventListener(type, (event) => {
        const box = event.target;
        if (!box.matches || !box.matches("textarea.answer__text-input")) return;
        const id = box.closest(".answer").dataset.question;
        // Words selected in a source while the box keeps focus (the shortcut's keyup): the
        // box's own selection is no longer where the student was writing.
        const outside = window.getSelection();
        const elsewhere =
          outside && !outside.isCollapsed && outside.anchorNode && !box.parentElement.contains(outside.anchorNode);
        if (!elsewhere) cursors.set(id, { start: box.selectionStart, end: box.selectionEnd });
        if (type === "input") updateFlags(id);
      });
    });

    answersForm.addEventListener("input", (event) => {
      // Typing the words by hand: the server finds them (an old selection no longer applies).
      if (event.target.matches && event.target.matches('.quote-box textarea[name$="-quote-words"]')) {
        const box = event.target.closest(".quote-box");
        setField(box, "-quote-start", "");
        setField(box, "-quote-end", "");
      }
    });

    answersForm.addEventListener("keydown", (event) => {
      // Enter in a quote field quotes, instead of submitting the whole answers form.
      if (event.key === "Enter" && event.target.matches && event.target.matches('.quote-box input')) {
        event.preventDefault();
        const button = event.target.closest(".quote-box").querySelector("[data-quote-button]");
        if (button) button.click();
      }
    });

    // The evidence blocks handle their own failures (data-handles-errors).
    const failed = (event, text) => {
      const elt = event.detail && event.detail.elt;
      const block = elt && elt.closest && elt.closest(".evidence-block");
      if (!block) return;
      const message = block.querySelector(".evidence-block__message");
      if (message) {
        message.textContent = text;
        message.classList.add("evidence-block__message--problem");
      }
    };
    document.addEventListener("htmx:responseError", (event) => {
      const status = event.detail.xhr.status;
      if (status === 409 || status === 422) return; // swapped in: the reply says why
      failed(
        event,
        status === 401
          ? "Not done: you are no longer logged in. Log in again in another tab, then try again."
          : "Not done: something went wrong (error " + status + "). Try again."
      );
    });
    document.addEventListener("htmx:sendError", (event) => {
      failed(event, "Not done: could not reach the server. Check your connection and try again.");
    });
  }

  // Each evidence block swapped in: insert its new quotation, hide the plain-form hints,
  // focus the first field with an error.
  function enhance(root) {
    const blocks = root.matches && root.matches(".evidence-block") ? [root] : Array.from(root.querySelectorAll(".evidence-block"));
    blocks.forEach((block) => {
      block.querySelectorAll("[data-no-js]").forEach((el) => (el.hidden = true));
      const id = block.dataset.evidenceFor;
      if (block.dataset.newQuotation) {
        const quotation = block.dataset.newQuotation;
        delete block.dataset.newQuotation;
        insertQuotation(id, quotation);
      } else if (root === block) {
        const invalid = block.querySelector('[aria-invalid="true"]');
        if (invalid) invalid.focus();
      }
      updateFlags(id);
    });
    root
      .querySelectorAll(".task-source__quote-hint[data-js-only], .evidence-section [data-js-only], [data-use-selection]")
      .forEach((el) => (el.hidden = false));
  }

  // Key evidence in the question editor ----------------------------------------------------

  document.addEventListener("mousedown", (event) => {
    if (event.target.closest("[data-use-selection]")) event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-use-selection]");
    if (!button) return;
    const section = button.closest(".evidence-section");
    const form = button.closest("form");
    const found = readSelection(".evidence-section .select-text[data-passage]");
    if (!found || !section || !section.contains(found.textEl)) {
      say("First select the words in one of the passages shown, then choose “Use selected words”.");
      return;
    }
    setField(form, "-passage", found.passageId);
    setField(form, "-words", found.quote);
    setField(form, "-start", String(found.start));
    setField(form, "-end", String(found.end));
    setField(form, "-occurrence", "");
    const description = form.querySelector('[name$="-description"]');
    if (description) description.focus();
  });

  document.addEventListener("input", (event) => {
    if (event.target.matches && event.target.matches('[data-key-form] textarea[name$="-words"]')) {
      const form = event.target.closest("form");
      setField(form, "-start", "");
      setField(form, "-end", "");
    }
  });

  // Start ----------------------------------------------------------------------------------

  if (answersForm && document.querySelector(".evidence-block")) setUpTaskPage();
  if (window.htmx) {
    window.htmx.onLoad(enhance);
  } else {
    document.addEventListener("DOMContentLoaded", () => enhance(document.body));
  }
})();
