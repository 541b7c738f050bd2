// The admin's file editor: a line-number gutter beside each textarea marked data-line-numbers, and
// findings that name a line (links with data-line) select that line in the editor. Without this
// script the textarea is a plain one and a finding's link only scrolls to it.
(function () {
  "use strict";

  function numbers(count) {
    var lines = [];
    for (var n = 1; n <= count; n += 1) {
      lines.push(String(n));
    }
    return lines.join("\n");
  }

  function gutterFor(textarea) {
    var box = document.createElement("div");
    box.className = "line-numbered";
    var gutter = document.createElement("pre");
    gutter.className = "gutter";
    gutter.setAttribute("aria-hidden", "true");
    textarea.parentNode.insertBefore(box, textarea);
    box.appendChild(gutter);
    box.appendChild(textarea);
    var style = window.getComputedStyle(textarea);
    // The gutter's lines sit level with the textarea's (styles set from script are allowed by the CSP).
    ["fontFamily", "fontSize", "lineHeight", "paddingTop", "paddingBottom", "borderTopWidth", "borderBottomWidth", "marginBottom"].forEach(
      function (property) {
        gutter.style[property] = style[property];
      }
    );
    function fit() {
      gutter.style.height = textarea.offsetHeight + "px";
    }
    if (window.ResizeObserver) {
      new window.ResizeObserver(fit).observe(textarea);
    }
    fit();
    var shown = -1;
    function update() {
      var count = textarea.value.split("\n").length;
      if (count !== shown) {
        gutter.textContent = numbers(count);
        shown = count;
      }
      gutter.scrollTop = textarea.scrollTop;
    }
    textarea.addEventListener("input", update);
    textarea.addEventListener("scroll", function () {
      gutter.scrollTop = textarea.scrollTop;
    });
    update();
    return update;
  }

  function selectLine(textarea, line, update) {
    var lines = textarea.value.split("\n");
    var index = Math.min(Math.max(line, 1), lines.length) - 1;
    var start = 0;
    for (var i = 0; i < index; i += 1) {
      start += lines[i].length + 1;
    }
    textarea.focus();
    textarea.setSelectionRange(start, start + lines[index].length);
    var height = parseFloat(window.getComputedStyle(textarea).lineHeight) || 20;
    textarea.scrollTop = Math.max(0, index * height - textarea.clientHeight / 3);
    update();
    textarea.scrollIntoView({ block: "center" });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var textarea = document.querySelector("textarea[data-line-numbers]");
    if (!textarea) {
      return;
    }
    var update = gutterFor(textarea);
    Array.prototype.forEach.call(document.querySelectorAll("a.to-line[data-line]"), function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        selectLine(textarea, parseInt(link.getAttribute("data-line"), 10), update);
      });
    });
  });
})();
