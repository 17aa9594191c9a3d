// Answering a task: autosave that never loses work, and the Source / Questions switch.
//
// htmx posts each answer (hx-trigger "input delay:2s, focusout, save-now") and swaps the
// server's status in; the new version arrives out of band in the hidden version input.
// This script does what htmx cannot:
//   - keeps a copy of every answer in localStorage (per user, task and question) from the
//     first keystroke until the server confirms that exact text, and offers it back when
//     the page is opened again;
//   - retries failed saves with back-off (2, 4, 8 … 60 s) and as soon as the browser is
//     back online; a 401 (logged out) keeps retrying, so logging in again in another tab
//     is enough;
//   - turns a 409 into a choice between the two texts (or saves again by itself when the
//     "other" text is one this page sent, e.g. by a beacon whose reply it never read);
//   - sends unsaved answers with navigator.sendBeacon when the page is hidden or closed,
//     and warns before leaving if something could not be sent;
//   - counts words, highlights a question's linked passages, and switches panes on phones.
// Without JavaScript the form still works: its Save buttons post every answer.
(function () {
  "use strict";

  const RETRY_MAX_SECONDS = 60;
  const form = document.getElementById("answers-form");
  const readonlyRoot = document.querySelector(".answers-readonly");
  const root = form || readonlyRoot;
  const answers = new Map(); // question id → state

  // Storage ---------------------------------------------------------------------------

  function storageKey(questionId) {
    return "glf:answer:" + root.dataset.user + ":" + root.dataset.task + ":" + questionId;
  }

  function readLocal(questionId) {
    try {
      const raw = window.localStorage.getItem(storageKey(questionId));
      const entry = raw ? JSON.parse(raw) : null;
      return entry && typeof entry.text === "string" ? entry : null;
    } catch (error) {
      return null;
    }
  }

  function writeLocal(st) {
    try {
      window.localStorage.setItem(
        storageKey(st.id),
        JSON.stringify({ text: st.textarea.value, base: currentVersion(st), at: Date.now() })
      );
    } catch (error) {
      // Storage full or disabled: the server copy and the retries still protect the text.
    }
  }

  function removeLocal(questionId) {
    try {
      window.localStorage.removeItem(storageKey(questionId));
    } catch (error) {
      /* nothing to remove */
    }
  }

  // Small helpers ---------------------------------------------------------------------

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const field = form && form.querySelector('input[name="csrfmiddlewaretoken"]');
    return field ? field.value : "";
  }

  function codePoints(text) {
    return Array.from(text).length;
  }

  function wordCount(text) {
    const words = text.trim().split(/\s+/).filter(Boolean);
    return words.length;
  }

  function clock(ms) {
    const when = new Date(ms);
    const time = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    if (when.toDateString() === new Date().toDateString()) return time;
    return when.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" }) + ", " + time;
  }

  function versionInput(st) {
    // The input is replaced by each out-of-band swap: look it up every time.
    return document.getElementById("answer-" + st.id + "-version");
  }

  function currentVersion(st) {
    const input = versionInput(st);
    return input ? Number(input.value) : 0;
  }

  function setVersion(st, version) {
    const input = versionInput(st);
    if (input) input.value = String(version);
  }

  function setStatus(st, text, state) {
    const span = document.createElement("span");
    span.dataset.state = state;
    span.textContent = text;
    if (state !== "saved" && state !== "saving" && state !== "unsaved") {
      span.className = "answer__problem";
    }
    st.status.replaceChildren(span);
  }

  function statusState(st) {
    const span = st.status.querySelector("[data-state]");
    return span ? span.dataset.state : "";
  }

  function isDirty(st) {
    return st.textarea && st.textarea.value !== st.confirmed;
  }

  function updateCount(st) {
    if (!st.count) return;
    const text = st.textarea.value;
    const words = wordCount(text);
    let label = words + (words === 1 ? " word" : " words");
    const chars = codePoints(text);
    if (chars > st.maxChars * 0.9) {
      label += " · " + chars.toLocaleString() + " of " + st.maxChars.toLocaleString() + " characters";
    }
    st.count.textContent = label;
    st.count.classList.toggle("answer__count--over", chars > st.maxChars);
  }

  function tooLong(st) {
    return codePoints(st.textarea.value) > st.maxChars;
  }

  function saveNow(st) {
    clearTimeout(st.retryTimer);
    st.retryTimer = null;
    window.htmx.trigger(st.el, "save-now");
  }

  // Retrying --------------------------------------------------------------------------

  function scheduleRetry(st) {
    st.failures += 1;
    const seconds = Math.min(RETRY_MAX_SECONDS, Math.pow(2, st.failures));
    clearTimeout(st.retryTimer);
    st.retryTimer = setTimeout(() => saveNow(st), seconds * 1000);
    if (statusState(st) !== "logged-out") {
      const where = navigator.onLine === false ? " You are offline;" : "";
      setStatus(
        st,
        "Not saved — retrying." + where + " Your text is kept on this device.",
        "retrying"
      );
    }
  }

  function retryAll() {
    answers.forEach((st) => {
      if (st.stopped || st.conflict) return;
      if (st.failures > 0 || isDirty(st)) saveNow(st);
    });
  }

  // Conflicts -------------------------------------------------------------------------

  function conflictPanel(st) {
    return document.getElementById("answer-" + st.id + "-conflict");
  }

  function enterConflict(st) {
    const panel = conflictPanel(st);
    if (!panel || !panel.dataset.serverVersion) return;
    const saved = panel.querySelector(".conflict__saved");
    st.conflict = { version: Number(panel.dataset.serverVersion), text: saved ? saved.value : "" };
    panel.querySelectorAll("[data-js-only]").forEach((el) => (el.hidden = false));
    panel.querySelectorAll("[data-no-js]").forEach((el) => (el.hidden = true));
  }

  function leaveConflict(st) {
    st.conflict = null;
    const panel = conflictPanel(st);
    if (panel) {
      panel.hidden = true;
      panel.replaceChildren();
      delete panel.dataset.serverVersion;
    }
  }

  function resolve(st, choice) {
    const conflict = st.conflict;
    if (!conflict) return;
    const mine = st.textarea.value;
    setVersion(st, conflict.version);
    st.confirmed = conflict.text;
    st.failures = 0;
    if (choice === "saved") {
      st.textarea.value = conflict.text;
      removeLocal(st.id);
    } else if (choice === "both") {
      st.textarea.value = mine + "\n\n" + conflict.text;
    }
    updateCount(st);
    // Focus leaves the button before the panel goes: that focusout's save is still held
    // back by the conflict, and the next one carries the chosen text and version.
    st.textarea.focus();
    leaveConflict(st);
    if (choice === "saved") {
      setStatus(st, "Using the saved text.", "saved");
      return;
    }
    if (choice === "both") {
      setStatus(st, "Both texts are in the box: edit them into one answer.", "unsaved");
    }
    writeLocal(st);
    saveNow(st);
  }

  // The reply to a 409 names the text on the server. If this page sent that very text
  // (a save whose reply was lost, or a beacon), nobody else changed the answer: carry on.
  function selfConflict(st, responseText) {
    const template = document.createElement("template");
    template.innerHTML = responseText;
    const panel = template.content.querySelector("[data-server-version]");
    const saved = panel && panel.querySelector(".conflict__saved");
    if (!saved || !st.sentUnconfirmed.has(saved.value)) return false;
    setVersion(st, Number(panel.dataset.serverVersion));
    st.confirmed = saved.value;
    return true;
  }

  // Restoring text kept on this device ------------------------------------------------

  function offerRestore(st, entry) {
    const box = document.getElementById("answer-" + st.id + "-restore");
    if (!box) return;
    const message = document.createElement("p");
    message.className = "answer__restore-message";
    message.textContent =
      "This device has text for this answer from " + clock(entry.at) + " that was not saved. ";
    // Offered even when older than the saved answer: it may be work that never reached
    // the server (typed offline here, then carried on elsewhere). The student decides.
    const savedAt = Date.parse(st.el.dataset.savedAt || "");
    if (savedAt && savedAt > entry.at) {
      message.textContent += "The saved answer is newer (" + clock(savedAt) + "). ";
    }
    const preview = document.createElement("textarea");
    preview.readOnly = true;
    preview.rows = 4;
    preview.value = entry.text;
    preview.id = "answer-" + st.id + "-kept";
    const label = document.createElement("label");
    label.htmlFor = preview.id;
    label.textContent = "The text kept on this device";
    const buttons = document.createElement("div");
    buttons.className = "answer__restore-buttons";
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button button--small";
    discard.textContent = "Discard it";
    discard.addEventListener("click", () => {
      removeLocal(st.id);
      box.hidden = true;
      box.replaceChildren();
      if (st.textarea) st.textarea.focus();
    });
    if (st.textarea) {
      const restore = document.createElement("button");
      restore.type = "button";
      restore.className = "button button--small button--primary";
      restore.textContent = "Restore it";
      restore.addEventListener("click", () => {
        box.hidden = true;
        box.replaceChildren();
        st.textarea.value = entry.text;
        // Based on the version it was typed on: if the answer has moved on since, the
        // server shows both texts instead of overwriting anything.
        setVersion(st, entry.base);
        updateCount(st);
        writeLocal(st);
        st.textarea.focus();
        saveNow(st);
      });
      buttons.append(restore);
    } else {
      message.textContent += "This work can no longer be changed: copy the text if you need it.";
    }
    buttons.append(discard);
    box.replaceChildren(message, label, preview, buttons);
    box.hidden = false;
  }

  function checkKept(st, serverText) {
    const entry = readLocal(st.id);
    if (!entry) return;
    if (entry.text === serverText) {
      removeLocal(st.id);
    } else {
      offerRestore(st, entry);
    }
  }

  // Setting up each answer ------------------------------------------------------------

  function setUpAnswer(el) {
    const id = el.dataset.question;
    const textarea = el.querySelector("textarea.answer__text-input");
    const st = {
      id: id,
      el: el,
      textarea: textarea,
      status: document.getElementById("answer-" + id + "-status"),
      count: document.getElementById("answer-" + id + "-count"),
      maxChars: Number((form && form.dataset.maxChars) || 20000),
      confirmed: textarea ? textarea.value : "",
      sending: null,
      inFlight: false,
      sentUnconfirmed: new Set(),
      failures: 0,
      retryTimer: null,
      conflict: null,
      stopped: false,
    };
    answers.set(id, st);
    if (!textarea) {
      const server = el.querySelector(".answer__server-text");
      checkKept(st, server ? server.value : "");
      return;
    }
    if (window.htmx) enterConflict(st);
    if (statusState(st) === "invalid") st.textarea.setAttribute("aria-invalid", "true");
    checkKept(st, textarea.value);
  }

  function stateOf(event) {
    const elt = event.detail && event.detail.elt;
    const el = elt && elt.closest && elt.closest(".answer[data-question]");
    return el ? answers.get(el.dataset.question) : null;
  }

  function listen() {
    form.addEventListener("input", (event) => {
      const el = event.target.closest(".answer[data-question]");
      if (!el || !event.target.matches("textarea.answer__text-input")) return;
      const st = answers.get(el.dataset.question);
      writeLocal(st);
      updateCount(st);
      if (tooLong(st)) {
        st.textarea.setAttribute("aria-invalid", "true");
        setStatus(
          st,
          "Too long to save: " + codePoints(st.textarea.value).toLocaleString() +
            " characters, and the limit is " + st.maxChars.toLocaleString() +
            ". Shorten it; your text is kept in the box.",
          "invalid"
        );
      } else if (!st.conflict && !st.stopped && st.failures === 0) {
        st.textarea.removeAttribute("aria-invalid");
        if (statusState(st) !== "saving") setStatus(st, "Unsaved changes", "unsaved");
      }
    });

    form.addEventListener("click", (event) => {
      const button = event.target.closest("[data-resolve]");
      if (!button) return;
      const el = button.closest(".answer[data-question]");
      resolve(answers.get(el.dataset.question), button.dataset.resolve);
    });

    // The Save buttons post every answer without JavaScript; with it, save what changed.
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      answers.forEach((st) => {
        if (isDirty(st) || st.failures > 0) saveNow(st);
      });
    });

    document.body.addEventListener("htmx:configRequest", (event) => {
      const st = stateOf(event);
      if (!st) return;
      // After logging in again the token changes: send the one the cookie holds now.
      event.detail.headers["X-CSRFToken"] = csrfToken();
    });

    document.body.addEventListener("htmx:beforeRequest", (event) => {
      const st = stateOf(event);
      if (!st) return;
      const unchanged = !isDirty(st) && st.failures === 0;
      if (st.conflict || st.stopped || tooLong(st) || unchanged) {
        event.preventDefault();
        return;
      }
      st.sending = st.textarea.value;
      st.sentUnconfirmed.add(st.sending);
      st.inFlight = true;
      if (statusState(st) !== "logged-out") setStatus(st, "Saving…", "saving");
    });

    document.body.addEventListener("htmx:beforeSwap", (event) => {
      const st = stateOf(event);
      if (!st) return;
      const status = event.detail.xhr.status;
      if (status === 409 && selfConflict(st, event.detail.serverResponse)) {
        event.detail.shouldSwap = false;
        st.resave = true;
      } else if (status === 401) {
        // The server's "log in again" message, with its link.
        event.detail.shouldSwap = true;
        event.detail.isError = false;
      }
    });

    document.body.addEventListener("htmx:afterRequest", (event) => {
      const st = stateOf(event);
      if (!st) return;
      st.inFlight = false;
      const status = event.detail.xhr ? event.detail.xhr.status : 0;
      if (status === 200) {
        st.confirmed = st.sending;
        st.sentUnconfirmed.clear();
        st.failures = 0;
        clearTimeout(st.retryTimer);
        if (st.textarea.value === st.confirmed) {
          removeLocal(st.id);
          st.textarea.removeAttribute("aria-invalid");
        }
      } else if (status === 409 && st.resave) {
        st.resave = false;
        saveNow(st);
      } else if (status === 409 && statusState(st) === "conflict") {
        enterConflict(st);
      } else if (status === 409) {
        st.stopped = true; // submitted or closed meanwhile: the message says to reload
      } else if (status === 422) {
        st.textarea.setAttribute("aria-invalid", "true");
      } else if (status === 404) {
        st.stopped = true;
        setStatus(
          st,
          "Not saved: this question is no longer part of the task. Copy your text if you need it.",
          "refused"
        );
      } else {
        scheduleRetry(st); // offline, server error, logged out, expired form token
      }
    });

    window.addEventListener("online", retryAll);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") {
        sendBeacons();
      } else {
        retryAll();
      }
    });
    window.addEventListener("pagehide", sendBeacons);
    window.addEventListener("beforeunload", (event) => {
      if (sendBeacons()) return;
      event.preventDefault();
      event.returnValue = "";
    });

    document.addEventListener("click", (event) => {
      const link = event.target.closest("[data-submit-link]");
      if (link) submitAfterSaving(event, link);
    });
  }

  // Leaving the page ------------------------------------------------------------------

  // Sends every unsaved answer it can; false when something may not have been sent.
  function sendBeacons() {
    let allSent = true;
    answers.forEach((st) => {
      // An answer still being saved is sent too: its request may not survive the page.
      if (!isDirty(st)) return;
      if (st.conflict || st.stopped || tooLong(st) || !navigator.sendBeacon) {
        allSent = false;
        return;
      }
      if (st.beaconed === st.textarea.value) return;
      const data = new FormData();
      data.append("csrfmiddlewaretoken", csrfToken());
      data.append("owner", root.dataset.user);
      data.append("q" + st.id + "-text", st.textarea.value);
      data.append("q" + st.id + "-version", String(currentVersion(st)));
      data.append("beacon", "1");
      if (navigator.onLine !== false && navigator.sendBeacon(st.el.getAttribute("hx-post"), data)) {
        st.beaconed = st.textarea.value;
        st.sentUnconfirmed.add(st.textarea.value);
      } else {
        allSent = false;
      }
      // Saves have been failing: the beacon may well fail too, so still warn.
      if (st.failures > 0) allSent = false;
    });
    return allSent;
  }

  function submitAfterSaving(event, link) {
    const pending = () => Array.from(answers.values()).filter((st) => isDirty(st) || st.inFlight);
    if (!pending().length) return;
    event.preventDefault();
    const message = document.getElementById("submit-message");
    const say = (text) => {
      if (!message) return;
      message.textContent = text;
      message.hidden = false;
    };
    say("Saving your answers first…");
    pending().forEach((st) => {
      if (!st.inFlight) saveNow(st);
    });
    const started = Date.now();
    const timer = setInterval(() => {
      const left = pending();
      const stuck = left.filter((st) => st.conflict || st.stopped || st.failures > 0 || tooLong(st));
      if (!left.length) {
        clearInterval(timer);
        window.location.href = link.href;
      } else if (stuck.length || Date.now() - started > 15000) {
        clearInterval(timer);
        say(
          "Some answers are not saved yet: see the message under each of them. " +
            "Submit once they are saved."
        );
      }
    }, 200);
  }

  // Panes and linked passages ---------------------------------------------------------

  const layout = document.getElementById("task-layout");
  const source = document.getElementById("task-source");
  const phone = window.matchMedia("(max-width: 56rem)");

  function showPane(name) {
    if (!layout) return;
    layout.dataset.show = name;
    document.querySelectorAll("[data-pane-switch] [data-pane]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.pane === name));
    });
  }

  function setUpPanes() {
    const paneSwitch = document.querySelector("[data-pane-switch]");
    if (!paneSwitch || !layout) return;
    paneSwitch.hidden = false;
    showPane("questions");
    paneSwitch.addEventListener("click", (event) => {
      const button = event.target.closest("[data-pane]");
      if (!button) return;
      showPane(button.dataset.pane);
      if (phone.matches) paneSwitch.scrollIntoView({ block: "start" });
    });
    document.addEventListener("click", (event) => {
      if (event.target.closest("[data-show-source]")) showPane("source");
    });
  }

  function highlightLinked(block) {
    if (!source) return;
    const ids = (block.dataset.linked || "").split(" ").filter(Boolean);
    source.querySelectorAll(".passage--linked").forEach((el) => el.classList.remove("passage--linked"));
    const passages = ids.map((id) => document.getElementById("passage-" + id)).filter(Boolean);
    passages.forEach((el) => el.classList.add("passage--linked"));
    if (!passages.length || phone.matches) return;
    const pane = source.getBoundingClientRect();
    const first = passages[0].getBoundingClientRect();
    if (first.top < pane.top || first.top > pane.bottom - 40) {
      source.scrollTop += first.top - pane.top - 8;
    }
  }

  document.addEventListener("focusin", (event) => {
    const block = event.target.closest && event.target.closest(".question-block");
    if (block) highlightLinked(block);
  });

  // Start -----------------------------------------------------------------------------

  setUpPanes();
  if (!root) return;
  root.querySelectorAll(".answer[data-question]").forEach(setUpAnswer);
  if (form && window.htmx) {
    // Hints for the plain form are for pages without this script (or without htmx).
    document.querySelectorAll("[data-no-js]").forEach((el) => (el.hidden = true));
    listen();
  }
})();
