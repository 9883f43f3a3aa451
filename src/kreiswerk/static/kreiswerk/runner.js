/* kreiswerk citizen path: progressive enhancement only. Every page works without it.
 * - conditional fields appear and disappear at once (the server decides again on submit)
 * - the error summary takes focus, its links focus the field
 * - a warning before the session expires, which saves what was typed
 */
(function () {
  "use strict";

  function parseNumber(text, integer) {
    var value = (text || "").trim().replace(/\s|€/g, "");
    if (!value) return null;
    if (value.indexOf(",") >= 0) value = value.replace(/\./g, "").replace(",", ".");
    var number = integer ? parseInt(value, 10) : parseFloat(value);
    return isNaN(number) ? null : number;
  }

  function pad(text, size) {
    text = String(text || "").trim();
    while (text.length < size) text = "0" + text;
    return text;
  }

  function collect(form, prefix) {
    /* The values of the form as the server's rules see them, for names starting with prefix. */
    var data = {};
    var elements = form.elements;
    for (var i = 0; i < elements.length; i++) {
      var input = elements[i];
      var name = input.name;
      if (!name || name.charAt(0) === "_" || name.indexOf(prefix) !== 0) continue;
      var key = name.slice(prefix.length);
      if (key.indexOf("__") >= 0) continue;
      var kind = input.getAttribute("data-kind");
      if (kind === "checkboxes") {
        if (!data[key]) data[key] = [];
        if (input.checked) data[key].push(input.value);
      } else if (kind === "yesno") {
        if (input.checked) data[key] = input.value === "ja";
        else if (!(key in data)) data[key] = null;
      } else if (kind === "radio") {
        if (input.checked) data[key] = input.value;
        else if (!(key in data)) data[key] = null;
      } else if (kind === "declaration") {
        data[key] = input.checked || null;
      } else if (kind === "integer") {
        data[key] = parseNumber(input.value, true);
      } else if (kind === "money" || kind === "decimal") {
        data[key] = parseNumber(input.value, false);
      } else if (kind) {
        data[key] = input.value.trim() === "" ? null : input.value.trim();
      }
    }
    var dates = form.querySelectorAll(".kw-date[data-name]");
    for (var d = 0; d < dates.length; d++) {
      var dateName = dates[d].getAttribute("data-name");
      if (dateName.indexOf(prefix) !== 0) continue;
      var dateKey = dateName.slice(prefix.length);
      if (dateKey.indexOf("__") >= 0) continue;
      var day = form.elements[dateName + "__day"].value;
      var month = form.elements[dateName + "__month"].value;
      var year = form.elements[dateName + "__year"].value;
      data[dateKey] = day && month && year.length === 4 ? year + "-" + pad(month, 2) + "-" + pad(day, 2) : null;
    }
    return data;
  }

  function addOperations(logic) {
    /* The product's extra operations, as the server defines them (assistants/rules.py). */
    logic.add_operation("today", function () {
      var now = new Date();
      return now.getFullYear() + "-" + pad(now.getMonth() + 1, 2) + "-" + pad(now.getDate(), 2);
    });
    logic.add_operation("date_diff_days", function (start, end) {
      var a = Date.parse(start + "T00:00:00Z");
      var b = Date.parse(end + "T00:00:00Z");
      return !start || !end || isNaN(a) || isNaN(b) ? null : Math.round((b - a) / 86400000);
    });
    logic.add_operation("round", function (value, places) {
      var factor = Math.pow(10, places || 0);
      var number = Number(value);
      return isNaN(number) ? null : Math.round(number * factor) / factor;
    });
  }

  function assign(target, source) {
    for (var key in source) if (Object.prototype.hasOwnProperty.call(source, key)) target[key] = source[key];
    return target;
  }

  function applyConditions(form, context) {
    if (!window.jsonLogic) return;
    var pageData = assign(assign({}, context), collect(form, ""));
    var wrappers = form.querySelectorAll("[data-visible-if]");
    for (var i = 0; i < wrappers.length; i++) {
      var wrapper = wrappers[i];
      var name = wrapper.getAttribute("data-field");
      var cut = name.lastIndexOf("__");
      var data = pageData;
      if (cut > 0) data = assign(assign({}, pageData), collect(form, name.slice(0, cut + 2)));
      var visible;
      try {
        visible = !!window.jsonLogic.truthy(window.jsonLogic.apply(JSON.parse(wrapper.getAttribute("data-visible-if")), data));
      } catch (error) {
        visible = true; /* when in doubt, show: the server decides */
      }
      wrapper.hidden = !visible;
    }
  }

  function setupConditions(form) {
    var contextNode = document.getElementById("kw-rule-context");
    var context = {};
    try { context = JSON.parse(contextNode ? contextNode.textContent : "{}"); } catch (error) { context = {}; }
    var run = function () { applyConditions(form, context); };
    form.addEventListener("input", run);
    form.addEventListener("change", run);
    run();
  }

  function setupErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      var wrapper = target.closest(".kw-field") || target;
      wrapper.scrollIntoView();
      target.focus({ preventScroll: true });
    });
  }

  function setupSubmitOnce() {
    var forms = document.querySelectorAll("form[data-submit-once]");
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener("submit", function (event) {
        var form = event.currentTarget;
        if (form.getAttribute("data-submitting")) { event.preventDefault(); return; }
        form.setAttribute("data-submitting", "1");
      });
    }
  }

  function setupSessionWarning(form) {
    var idle = parseInt(form.getAttribute("data-idle-seconds"), 10);
    var url = form.getAttribute("data-keepalive-url");
    var dialog = document.getElementById("kw-session-dialog");
    if (!idle || !url || !dialog || typeof dialog.showModal !== "function") return;
    var warnAfter = Math.max(idle - 120, 30) * 1000;
    var timer;
    function arm() {
      clearTimeout(timer);
      timer = setTimeout(function () { dialog.showModal(); }, warnAfter);
    }
    dialog.querySelector("[data-session-continue]").addEventListener("click", function () {
      var body = new FormData(form);
      var files = form.querySelectorAll("input[type=file]");
      for (var i = 0; i < files.length; i++) body.delete(files[i].name);
      fetch(url, { method: "POST", body: body, credentials: "same-origin" }).finally(function () {
        dialog.close();
        arm();
      });
    });
    arm();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-step-form]");
    if (window.jsonLogic) addOperations(window.jsonLogic);
    if (form) {
      setupConditions(form);
      setupSessionWarning(form);
    }
    setupErrorSummary();
    setupSubmitOnce();
  });
})();
