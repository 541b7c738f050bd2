// Questions asked only where they matter: each carries data-shown-when, a list of [field name,
// values that show it]; every pair must hold (a group of checkboxes holds when one of the values
// is ticked). The page is right without this script (the server hides what does not apply when
// it renders the form); the script only shows and hides the questions as the person changes the
// answers they depend on. A hidden question keeps its answer and is sent back unchanged; its
// `asked` mark goes only while it is shown, so the server knows which questions were seen.
(function () {
  "use strict";

  function chosen(form, name) {
    var values = [];
    Array.prototype.forEach.call(form.elements, function (control) {
      if (control.name !== name) {
        return;
      }
      if (control.type === "checkbox" || control.type === "radio") {
        if (control.checked) {
          values.push(control.value);
        }
      } else if (control.tagName === "SELECT" || control.type !== "hidden") {
        values.push(control.value);
      }
    });
    return values;
  }

  function holds(form, conditions) {
    return conditions.every(function (condition) {
      var wanted = condition[1];
      return chosen(form, condition[0]).some(function (value) {
        return wanted.indexOf(value) !== -1;
      });
    });
  }

  function update(form) {
    form.querySelectorAll("[data-shown-when]").forEach(function (question) {
      var shown = holds(form, JSON.parse(question.dataset.shownWhen));
      question.hidden = !shown;
      question.querySelectorAll("input[type=hidden][name$=asked]").forEach(function (mark) {
        mark.disabled = !shown;
      });
    });
  }

  // A draft group's form (a new group, or one that still needs answers) saves itself as the person
  // types, once they pause: the server keeps one draft per form and answers with the assessment's
  // new revision and the group's address, which the form takes over, so its own save is neither
  // stale nor a second group. A finished group's form never saves unasked. Either way, leaving
  // with changes that nothing has saved asks first.
  var PAUSE = 1500;

  function autosave(form) {
    var status = form.querySelector(".autosave");
    var timer = null;
    var saving = false;
    var again = false;
    var stopped = false;
    // Changes made since the page opened; a draft holds those up to `saved`. A form shown again
    // after a failed submit holds what was sent and nothing saved it.
    var edits = form.dataset.unsaved === "true" ? 1 : 0;
    var saved = 0;
    var submitter = null; // a submit that waits for a draft on its way
    var sent = false; // the form was submitted: a second click (a double click) sends nothing more

    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }

    function field(name) {
      var input = form.querySelector("input[type=hidden][name=" + name + "]");
      if (!input) {
        input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        form.appendChild(input);
      }
      return input;
    }

    function done() {
      saving = false;
      if (submitter !== null) {
        var button = submitter;
        submitter = null;
        form.requestSubmit(button);
      } else if (again) {
        again = false;
        save();
      }
    }

    function save() {
      timer = null;
      if (stopped || edits === saved || !form.dataset.autosave) {
        return;
      }
      if (saving) {
        again = true;
        return;
      }
      saving = true;
      var upTo = edits;
      var body = new FormData(form);
      body.delete("then");
      fetch(form.dataset.autosave, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) {
          return response.json().then(function (answer) {
            if (answer.saved) {
              field("revision").value = answer.revision;
              field("version").value = answer.version;
              field("group").value = answer.group;
              form.action = answer.action;
              saved = upTo;
              var time = new Date().toLocaleTimeString(document.documentElement.lang || undefined, {
                hour: "2-digit",
                minute: "2-digit",
              });
              say(status.dataset.saved.replace("{time}", time));
            } else if (answer.reason === "not_draft") {
              stopped = true; // finished meanwhile, or signed off: only the form's save changes it
            } else if (answer.reason === "stale") {
              stopped = true; // the form's own save shows what changed
              say(status.dataset.stale);
            } else if (answer.reason === "invalid") {
              say(status.dataset.refused);
            }
          });
        })
        .catch(function () {
          return null; // offline or refused: the person's own save still works
        })
        .then(done);
    }

    function later(wait) {
      edits += 1;
      if (timer !== null) {
        clearTimeout(timer);
      }
      timer = setTimeout(save, wait);
    }

    // Every change (a key typed, a box ticked, a choice made) fires `input`: the draft is saved
    // once the person pauses, as one version rather than one per change.
    form.addEventListener("input", function () {
      later(PAUSE);
    });
    form.addEventListener("submit", function (event) {
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      if (saving) {
        // the draft's answer brings the revision this submit must carry: send it after that
        event.preventDefault();
        submitter = event.submitter || null;
        return;
      }
      if (sent) {
        event.preventDefault(); // the first submit is on its way and carries the same answers
        return;
      }
      sent = true;
      stopped = true;
      saved = edits; // the submit itself carries every change
    });
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        sent = false; // back to a page kept by the browser: its form may be sent again
      }
    });
    window.addEventListener("beforeunload", function (event) {
      if (edits !== saved) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // A form sent with problems opens on their summary, so that the person hears and sees them.
    var summary = document.querySelector(".error-summary");
    if (summary) {
      summary.focus();
    }
    document.querySelectorAll("button[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
    document.querySelectorAll("form[data-autosave], form[data-unsaved]").forEach(autosave);
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-shown-when]")) {
        return;
      }
      update(form);
      form.addEventListener("change", function () {
        update(form);
      });
    });
  });
})();
