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

  document.addEventListener("DOMContentLoaded", function () {
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
