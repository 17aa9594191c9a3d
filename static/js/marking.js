// Marking: marks and feedback that save themselves, keyboard shortcuts, the comment bank,
// and the live task overview.
//
// htmx does every request. This script decides when a marking form saves (a moment after
// typing stops, at once on a click, when leaving a box, before leaving the page), keeps a
// copy of unsaved marking in localStorage until the server has it, retries failed saves with
// back-off, and says what happened. A conflict (someone else saved the same answer) stops
// the autosave until the marker chooses. Without this script every form has a Save button.
(function () {
  "use strict";

  const TYPING_DELAY_MS = 1500;
  const MAX_BACKOFF_S = 60;
  const REFRESH_EVERY_MS = 20000;
  // Fields that are not the marker's own input: versions, tokens, where to go back to.
  const BOOKKEEPING = new Set([
    "csrfmiddlewaretoken",
    "base_marking_version",
    "base_feedback_version",
    "answer_version",
    "scheme_version",
    "overwrite_version",
    "return_to",
    "action",
    "beacon",
  ]);

  const states = new WeakMap();
  let lastFeedback = null; // the feedback box a comment is inserted into
  let currentCard = null; // the answer card the keys act on

  // Helpers

  function csrfToken() {
    // After logging in again in another tab the page's token is stale; the cookie is not.
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : null;
  }

  function timeNow() {
    const now = new Date();
    return String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
  }

  function isTyping(el) {
    if (!el || !el.tagName) return false;
    if (el.isContentEditable) return true;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    return el.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(el.type);
  }

  function autosaveForm(el) {
    return el && el.closest ? el.closest("form[data-autosave]") : null;
  }

  function stateOf(form) {
    let state = states.get(form);
    if (!state) {
      state = { lastSaved: null, sent: null, timer: null, retry: null, backoff: 0, busy: false, again: false, conflict: false, failing: false };
      states.set(form, state);
    }
    return state;
  }

  function pairs(data) {
    const list = [];
    for (const [name, value] of data.entries()) {
      if (!BOOKKEEPING.has(name)) list.push([name, String(value)]);
    }
    list.sort((a, b) => (a[0] + "\u0000" + a[1] < b[0] + "\u0000" + b[1] ? -1 : 1));
    return JSON.stringify(list);
  }

  const serialize = (form) => pairs(new FormData(form));
  const isDirty = (form) => serialize(form) !== stateOf(form).lastSaved;

  function versionInput(form) {
    return form.querySelector('input[name="base_marking_version"], input[name="base_feedback_version"]');
  }

  function setStatus(form, text, state) {
    const status = form.querySelector("[data-save-status]");
    if (!status) return;
    if (text !== null) status.textContent = text;
    status.dataset.state = state;
  }

  // The copy kept in the browser until the server confirms it.

  function keepLocal(form) {
    const version = versionInput(form);
    try {
      localStorage.setItem(
        form.dataset.autosaveKey,
        JSON.stringify({ data: serialize(form), base: version ? version.value : "", at: Date.now() })
      );
    } catch (error) {
      // Private mode or a full quota: the form itself still holds the text.
    }
  }

  function readLocal(form) {
    try {
      return JSON.parse(localStorage.getItem(form.dataset.autosaveKey) || "null");
    } catch (error) {
      return null;
    }
  }

  function forgetLocal(form) {
    try {
      localStorage.removeItem(form.dataset.autosaveKey);
    } catch (error) {
      // Nothing to do.
    }
  }

  function applyData(form, serialized) {
    const list = JSON.parse(serialized);
    const has = (name, value) => list.some(([n, v]) => n === name && v === value);
    const first = (name) => {
      const found = list.find(([n]) => n === name);
      return found ? found[1] : "";
    };
    form.querySelectorAll("input[name], textarea[name], select[name]").forEach((field) => {
      if (BOOKKEEPING.has(field.name) || field.type === "hidden") return;
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = has(field.name, field.value);
      } else {
        field.value = first(field.name);
      }
    });
    syncLevels(form);
    updateComputed(form);
  }

  function offerRestore(form) {
    const kept = readLocal(form);
    const state = stateOf(form);
    if (!kept) return;
    if (kept.data === state.lastSaved) {
      forgetLocal(form);
      return;
    }
    const slot = form.querySelector("[data-restore-slot]");
    if (!slot) return;
    const when = new Date(kept.at);
    const time = String(when.getHours()).padStart(2, "0") + ":" + String(when.getMinutes()).padStart(2, "0");
    const box = document.createElement("div");
    box.className = "restore";
    box.setAttribute("role", "alert");
    const text = document.createElement("p");
    text.textContent = "Marking you did not save from " + when.toLocaleDateString() + " " + time + " is kept in this browser.";
    const restore = document.createElement("button");
    restore.type = "button";
    restore.className = "button button--small button--primary";
    restore.textContent = "Restore it";
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button button--small";
    discard.textContent = "Discard it";
    box.append(text, restore, discard);
    slot.replaceChildren(box);
    restore.addEventListener("click", () => {
      applyData(form, kept.data);
      // Saved against the version it was based on: if someone marked since, that is a
      // conflict to show, not something to overwrite.
      const version = versionInput(form);
      if (version && kept.base !== "") version.value = kept.base;
      slot.replaceChildren();
      keepLocal(form);
      save(form);
    });
    discard.addEventListener("click", () => {
      forgetLocal(form);
      slot.replaceChildren();
      const field = form.querySelector("textarea, input:not([type=hidden])");
      if (field) field.focus();
    });
  }

  // Saving

  function save(form) {
    const state = stateOf(form);
    clearTimeout(state.timer);
    clearTimeout(state.retry);
    if (state.conflict || !form.isConnected) return;
    if (!isDirty(form)) return;
    if (state.busy) {
      state.again = true;
      return;
    }
    htmx.trigger(form, "save-now");
  }

  function saveSoon(form) {
    const state = stateOf(form);
    clearTimeout(state.timer);
    state.timer = setTimeout(() => save(form), TYPING_DELAY_MS);
  }

  function retryLater(form, reason) {
    const state = stateOf(form);
    state.failing = true;
    state.backoff = Math.min(state.backoff ? state.backoff * 2 : 2, MAX_BACKOFF_S);
    setStatus(form, "Not saved — " + reason + " Retrying in " + state.backoff + " s; your marking is kept in this browser.", "error");
    clearTimeout(state.retry);
    state.retry = setTimeout(() => save(form), state.backoff * 1000);
  }

  function markInvalidFields(form) {
    form.querySelectorAll("[data-error-for]").forEach((box) => {
      const field = form.querySelector('[name="' + box.dataset.errorFor + '"]:not([type=checkbox]):not([type=radio])');
      if (!field) return;
      if (box.textContent.trim()) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
    });
  }

  function initForm(form) {
    if (form.dataset.autosaveReady) return;
    form.dataset.autosaveReady = "1";
    const state = stateOf(form);
    state.lastSaved = serialize(form);
    state.conflict = Boolean(form.querySelector("[data-conflict]"));
    syncLevels(form);
    updateComputed(form);
    offerRestore(form);
  }

  function fieldEdited(event, immediately) {
    const form = autosaveForm(event.target);
    if (!form || !event.target.name || BOOKKEEPING.has(event.target.name)) return;
    keepLocal(form);
    if (!stateOf(form).conflict) setStatus(form, "Not saved yet", "pending");
    if (immediately) save(form);
    else saveSoon(form);
  }

  document.addEventListener("input", (event) => {
    const target = event.target;
    if (!autosaveForm(target)) return;
    if (target.type === "checkbox" || target.type === "radio" || target.tagName === "SELECT") return;
    fieldEdited(event, false);
  });

  document.addEventListener("change", (event) => {
    const target = event.target;
    const form = autosaveForm(target);
    if (!form) return;
    if (target.matches("[data-level-radio]")) syncLevels(form, true);
    if (target.matches("[data-mark-select]")) levelFromMark(form);
    if (target.matches('input[name="credited_points"]')) pointsChanged(form);
    fieldEdited(event, true);
  });

  document.addEventListener("focusout", (event) => {
    const form = autosaveForm(event.target);
    if (form && isTyping(event.target) && isDirty(form)) save(form);
  });

  document.addEventListener("htmx:configRequest", (event) => {
    const elt = event.detail.elt;
    const token = csrfToken();
    if (token && elt.closest && elt.closest("[data-marking-page], [data-live-refresh], form[data-autosave], #comment-bank")) {
      event.detail.headers["X-CSRFToken"] = token;
      if (event.detail.formData && event.detail.formData.has("csrfmiddlewaretoken")) {
        event.detail.formData.set("csrfmiddlewaretoken", token);
      }
    }
    if (elt.matches && elt.matches("form[data-autosave]")) {
      const state = stateOf(elt);
      state.sent = pairs(event.detail.formData);
      state.busy = true;
      state.again = false;
      setStatus(elt, "Saving…", "saving");
    }
  });

  function loggedOut(xhr) {
    return Boolean(xhr && xhr.responseURL && xhr.responseURL.indexOf("/accounts/login/") !== -1);
  }

  document.addEventListener("htmx:beforeSwap", (event) => {
    // An expired session answers with the log-in page: never swap that into a status line.
    if (loggedOut(event.detail.xhr)) event.detail.shouldSwap = false;
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-autosave]")) return;
    const state = stateOf(form);
    const xhr = event.detail.xhr;
    const status = xhr ? xhr.status : 0;
    state.busy = false;
    const card = form.closest("[data-answer-card]");
    if (status === 200 && !loggedOut(xhr)) {
      state.lastSaved = state.sent;
      state.backoff = 0;
      state.failing = false;
      state.conflict = false;
      if (card) card.classList.remove("answer-card--conflict");
      markInvalidFields(form);
      if (isDirty(form)) {
        keepLocal(form);
        setStatus(form, "Not saved yet", "pending");
        save(form);
      } else {
        forgetLocal(form);
        setStatus(form, null, "saved");
      }
      return;
    }
    if (status === 409) {
      state.conflict = true;
      state.failing = false;
      if (card) card.classList.add("answer-card--conflict");
      setStatus(form, null, "conflict");
      return;
    }
    if (status === 422) {
      state.failing = false;
      setStatus(form, null, "error");
      markInvalidFields(form);
      return;
    }
    if (loggedOut(xhr) || status === 401 || status === 403) {
      retryLater(form, "you are logged out, or the page is out of date. Log in again in another tab (your marking stays here).");
    } else if (status === 0) {
      retryLater(form, "no connection to the server.");
    } else {
      retryLater(form, "the server had a problem (" + status + ").");
    }
  });

  window.addEventListener("online", () => {
    document.querySelectorAll("form[data-autosave]").forEach((form) => {
      if (stateOf(form).failing) save(form);
    });
  });

  // Hidden (another tab, another window): save the usual way, so this page learns the new
  // version. Going away for good: a beacon, the only request a closing page can still send.
  let beaconSent = false;

  function sendUnsaved() {
    document.querySelectorAll("form[data-autosave]").forEach((form) => {
      const state = stateOf(form);
      if (state.conflict || !isDirty(form) || !navigator.sendBeacon) return;
      const data = new FormData(form);
      const token = csrfToken();
      if (token) data.set("csrfmiddlewaretoken", token);
      data.set("beacon", "1");
      beaconSent = navigator.sendBeacon(form.action, data) || beaconSent;
    });
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "hidden") return;
    document.querySelectorAll("form[data-autosave]").forEach(save);
  });
  window.addEventListener("pagehide", sendUnsaved);
  window.addEventListener("pageshow", (event) => {
    // Back from the back/forward cache after a beacon: the versions here are out of date.
    if (event.persisted && beaconSent) window.location.reload();
  });

  window.addEventListener("beforeunload", (event) => {
    const unsaved = Array.from(document.querySelectorAll("form[data-autosave]")).some((form) => {
      const state = stateOf(form);
      return state.busy || isDirty(form);
    });
    if (unsaved) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // Save, then go: used by the next/previous keys and links.
  function saveThenGo(url) {
    const forms = Array.from(document.querySelectorAll("form[data-autosave]"));
    forms.forEach(save);
    const started = Date.now();
    (function wait() {
      const pending = forms.some((form) => {
        const state = stateOf(form);
        return form.isConnected && !state.conflict && !state.failing && (state.busy || isDirty(form));
      });
      if (!pending || Date.now() - started > 5000) {
        window.location.href = url;
      } else {
        setTimeout(wait, 100);
      }
    })();
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link || !link.closest("[data-marking-page]") || link.hasAttribute("hx-get")) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || link.target) return;
    const unsaved = Array.from(document.querySelectorAll("form[data-autosave]")).some(
      (form) => stateOf(form).busy || isDirty(form)
    );
    if (unsaved) {
      event.preventDefault();
      saveThenGo(link.href);
    }
  });

  // "Use theirs" and "Reload": the copy in the browser is no longer wanted.
  document.addEventListener("click", (event) => {
    const discard = event.target.closest && event.target.closest("[data-discard-local]");
    if (!discard) return;
    const form = autosaveForm(discard);
    if (form) {
      forgetLocal(form);
      stateOf(form).lastSaved = serialize(form); // do not warn about leaving
    }
  });

  // Mark schemes

  function syncLevels(form, fromRadio) {
    const select = form.querySelector("[data-mark-select]");
    if (!select) return;
    const chosen = form.querySelector("[data-level-radio]:checked");
    const level = chosen ? chosen.value : "";
    Array.from(select.options).forEach((option) => {
      if (option.value === "") return;
      // No level yet: any mark may be chosen, and its level follows.
      option.disabled = level !== "" && option.dataset.level !== level;
    });
    if (fromRadio && select.selectedOptions.length && select.selectedOptions[0].disabled) {
      select.value = "";
    }
    if (fromRadio && level === "" && select.value !== "") {
      const option = select.selectedOptions[0];
      if (option && option.dataset.level) select.value = "";
    }
  }

  function levelFromMark(form) {
    const select = form.querySelector("[data-mark-select]");
    const option = select && select.selectedOptions[0];
    if (!option || option.value === "") return;
    const level = option.dataset.level || "";
    const radio = form.querySelector('[data-level-radio][value="' + level + '"]');
    if (radio && !radio.checked) radio.checked = true;
    syncLevels(form);
  }

  function updateComputed(form) {
    const output = form.querySelector("[data-computed]");
    if (!output) return;
    const max = parseInt(form.dataset.max, 10);
    let total = 0;
    form.querySelectorAll('input[name="credited_points"]:checked').forEach((box) => {
      total += parseInt(box.dataset.marks, 10) || 0;
    });
    total = Math.min(total, max);
    output.textContent = String(total);
    const input = form.querySelector("[data-mark-input]");
    if (input) input.placeholder = String(total);
  }

  function pointsChanged(form) {
    // "0" was "nothing creditable"; ticking a point means the points' total again.
    const input = form.querySelector("[data-mark-input]");
    if (input && input.value === "0" && form.querySelector('input[name="credited_points"]:checked')) {
      input.value = "";
    }
    updateComputed(form);
  }

  function giveMark(form, digit) {
    const max = parseInt(form.dataset.max, 10);
    if (form.dataset.scheme === "levels") {
      const select = form.querySelector("[data-mark-select]");
      const option = Array.from(select.options).find((o) => o.value === String(digit));
      if (!option) {
        setStatus(form, "No mark " + digit + ": the maximum is " + max + ".", "error");
        return;
      }
      const radio = form.querySelector('[data-level-radio][value="' + (option.dataset.level || "") + '"]');
      if (radio) radio.checked = true;
      syncLevels(form);
      select.value = String(digit);
      select.dispatchEvent(new Event("change", { bubbles: true }));
      return;
    }
    const boxes = Array.from(form.querySelectorAll('input[name="credited_points"]'));
    const input = form.querySelector("[data-mark-input]");
    if (digit === 0) {
      boxes.forEach((box) => {
        box.checked = false;
      });
      if (input) {
        input.value = "0";
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
      updateComputed(form);
      return;
    }
    const box = boxes[digit - 1];
    if (!box) {
      setStatus(form, "There is no point " + digit + " in this mark scheme.", "error");
      return;
    }
    box.checked = !box.checked;
    box.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // The comment bank and the scheme's starting points

  function feedbackBox() {
    if (lastFeedback && lastFeedback.isConnected) return lastFeedback;
    const card = activeCard();
    return card ? card.querySelector("[data-feedback]") : document.querySelector("[data-feedback]");
  }

  function insertText(box, text) {
    if (!box) return;
    const start = box.selectionStart != null ? box.selectionStart : box.value.length;
    const end = box.selectionEnd != null ? box.selectionEnd : box.value.length;
    const before = box.value.slice(0, start);
    const after = box.value.slice(end);
    const gap = before && !/\s$/.test(before) ? (before.endsWith(".") ? " " : "\n") : "";
    box.value = before + gap + text + after;
    const caret = (before + gap + text).length;
    box.focus();
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function countUse(button) {
    const item = button.closest("[data-comment-id]");
    if (!item || !button.dataset.useUrl) return;
    htmx.ajax("POST", button.dataset.useUrl, {
      source: button,
      swap: "none",
      values: { action: "use", id: item.dataset.commentId },
    });
  }

  document.addEventListener("focusin", (event) => {
    const target = event.target;
    if (target.matches && target.matches("[data-feedback]")) lastFeedback = target;
    const card = target.closest && target.closest("[data-answer-card]");
    if (card) currentCard = card;
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-insert-text]");
    if (!button) return;
    const own = autosaveForm(button);
    const box = own ? own.querySelector("[data-feedback]") : feedbackBox();
    insertText(box, button.dataset.insertText);
    if (button.matches("[data-insert-comment]")) countUse(button);
  });

  function visibleComments() {
    return Array.from(document.querySelectorAll("[data-comment]")).filter((item) => !item.hidden);
  }

  function filterComments() {
    const input = document.querySelector("[data-comment-filter]");
    const query = input ? input.value.trim().toLowerCase() : "";
    document.querySelectorAll("[data-comment]").forEach((item) => {
      item.hidden = query !== "" && !item.textContent.toLowerCase().includes(query);
      item.removeAttribute("data-first-match");
    });
    const first = visibleComments()[0];
    if (first && query) first.setAttribute("data-first-match", "");
  }

  document.addEventListener("input", (event) => {
    if (event.target.matches && event.target.matches("[data-comment-filter]")) filterComments();
  });

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (!target.matches || !target.matches("[data-comment-filter]")) return;
    if (event.key === "Enter") {
      event.preventDefault();
      const first = visibleComments()[0];
      const button = first && first.querySelector("[data-insert-comment]");
      if (button) {
        insertText(feedbackBox(), button.dataset.insertText);
        countUse(button);
        target.value = "";
        filterComments();
      }
    } else if (event.key === "Escape") {
      event.preventDefault();
      const box = feedbackBox();
      if (box) box.focus();
    }
  });

  // Keyboard shortcuts

  function cards() {
    return Array.from(document.querySelectorAll("[data-answer-card]"));
  }

  function activeCard() {
    if (currentCard && currentCard.isConnected) return currentCard;
    const withForm = cards().find((card) => card.querySelector("form[data-autosave]"));
    return withForm || cards()[0] || null;
  }

  function focusCard(card) {
    currentCard = card;
    const title = card.querySelector(".answer-card__title");
    if (title) {
      title.focus();
      card.scrollIntoView({ block: "start", behavior: "smooth" });
    }
  }

  function move(step) {
    const page = document.querySelector("[data-marking-page]");
    const list = cards();
    const here = list.indexOf(activeCard());
    const next = list[here + step];
    if (list.length > 1 && next) {
      focusCard(next);
      return;
    }
    const url = page && (step > 0 ? page.dataset.nextUrl : page.dataset.prevUrl);
    if (url) saveThenGo(url);
  }

  function openHelp() {
    const dialog = document.getElementById("keyboard-help");
    if (!dialog || dialog.open) return;
    dialog.returnFocusTo = document.activeElement;
    dialog.showModal();
    const close = dialog.querySelector("[data-help-close]");
    if (close) close.focus();
  }

  document.addEventListener("close", (event) => {
    const dialog = event.target;
    if (dialog.id === "keyboard-help" && dialog.returnFocusTo && dialog.returnFocusTo.focus) {
      dialog.returnFocusTo.focus();
    }
  }, true);

  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("[data-help-open]")) openHelp();
  });

  document.addEventListener("keydown", (event) => {
    if (!document.querySelector("[data-marking-page]")) return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    const dialog = document.getElementById("keyboard-help");
    if (dialog && dialog.open) return; // Esc closes it natively.
    const target = event.target;
    if (isTyping(target)) {
      if (event.key === "Escape" && !target.matches("[data-comment-filter]")) {
        event.preventDefault();
        const card = target.closest("[data-answer-card]");
        if (card) focusCard(card);
        else target.blur();
      }
      return;
    }
    const card = activeCard();
    const form = card ? card.querySelector("form[data-autosave]") : null;
    const key = event.key;
    if (key === "?") {
      event.preventDefault();
      openHelp();
    } else if (key === "j" || key === "n") {
      event.preventDefault();
      move(1);
    } else if (key === "k" || key === "p") {
      event.preventDefault();
      move(-1);
    } else if (key === "f" && card) {
      const box = card.querySelector("[data-feedback]");
      if (box) {
        event.preventDefault();
        box.focus();
      }
    } else if (key === "c") {
      const filter = document.querySelector("[data-comment-filter]");
      if (filter) {
        event.preventDefault();
        filter.focus();
      }
    } else if (key === "s" && form) {
      event.preventDefault();
      save(form);
    } else if (/^[0-9]$/.test(key) && form) {
      event.preventDefault();
      giveMark(form, parseInt(key, 10));
    }
  });

  // The live overview: refreshed every 20 s while the tab is visible, and on coming back.

  let lastRefresh = Date.now();

  function refreshOverview() {
    const overview = document.querySelector("[data-live-refresh]");
    if (!overview || document.visibilityState !== "visible") return;
    if (Date.now() - lastRefresh < 3000) return;
    lastRefresh = Date.now();
    htmx.trigger(overview, "refresh-overview");
  }

  document.addEventListener("htmx:afterRequest", (event) => {
    const elt = event.detail.elt;
    if (!elt.matches || !elt.matches("[data-live-refresh]")) return;
    const failed = !event.detail.xhr || event.detail.xhr.status !== 200 || loggedOut(event.detail.xhr);
    const current = document.querySelector("[data-live-refresh]");
    const note = current && current.querySelector("[data-refresh-error]");
    if (note) note.hidden = !failed;
  });

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refreshOverview();
  });
  window.addEventListener("focus", refreshOverview);

  // Start

  function init(root) {
    root.querySelectorAll("form[data-autosave]").forEach(initForm);
    root.querySelectorAll("[data-js-only], [data-help-open]").forEach((el) => {
      el.hidden = false;
    });
    filterComments();
  }

  document.addEventListener("htmx:afterSettle", (event) => {
    const target = event.detail.elt;
    if (target && target.querySelectorAll) init(target.isConnected ? target : document);
    // A card swapped in whole ("Use theirs") starts from what the server has.
    if (target && target.matches && target.matches("[data-answer-card]")) focusCard(target);
  });

  document.addEventListener("DOMContentLoaded", () => {
    init(document);
    if (document.querySelector("[data-live-refresh]")) {
      setInterval(refreshOverview, REFRESH_EVERY_MS);
    }
  });
})();
