// The proposal form's rule builder: show the fields of the chosen proposal kind and standard kind, preview the
// JSON the server will store, and try sample names against a pattern as it is typed. Without this script every
// field shows and the server does the same work on save.
(function () {
  "use strict";
  var form = document.getElementById("proposal-form");
  if (!form) return;
  var kindSelect = form.querySelector("[name=kind]");
  var standardKind = form.querySelector("[name=standard_kind]");
  var target = form.querySelector("[name=target_standard]");
  var preview = form.querySelector("[data-rule-preview]");
  var previewJson = form.querySelector("[data-rule-json]");
  var hint = form.querySelector("[data-rule-hint]");
  var NUMBERS = ["minimum", "min_completeness_percent", "min_availability_percent", "max_freshness_minutes", "days"];

  function ruleKind() {
    if (standardKind && standardKind.value) return standardKind.value;
    if (target && target.selectedIndex >= 0) {
      var option = target.options[target.selectedIndex];
      if (option && option.dataset.kind) return option.dataset.kind;
    }
    return "";
  }

  function ruleOf(group) {
    var rule = {};
    group.querySelectorAll("input, select").forEach(function (input) {
      if (!input.name || input.name.indexOf("rule_") !== 0) return;
      var key = input.name.slice(5);
      if (input.type === "checkbox") {
        if (input.checked) (rule[key] = rule[key] || []).push(input.value);
      } else if (input.value !== "") {
        rule[key] = NUMBERS.indexOf(key) >= 0 && !isNaN(Number(input.value)) ? Number(input.value) : input.value;
      }
    });
    return rule;
  }

  function update() {
    var kind = kindSelect ? kindSelect.value : "";
    form.querySelectorAll("[data-show-for]").forEach(function (element) {
      element.hidden = kind !== "" && element.dataset.showFor.split(" ").indexOf(kind) < 0;
    });
    var chosen = ruleKind();
    var group = null;
    form.querySelectorAll("[data-rule-kind]").forEach(function (element) {
      var match = element.dataset.ruleKind === chosen;
      element.hidden = !match;
      if (match) group = element;
    });
    if (hint) hint.hidden = Boolean(group);
    if (preview) {
      preview.hidden = !group;
      if (group) previewJson.textContent = JSON.stringify(ruleOf(group));
    }
  }

  function tryPattern(box) {
    var patternInput = document.getElementById(box.dataset.patternInput);
    var sample = box.querySelector("input");
    var result = box.querySelector("output");
    if (!patternInput.value || !sample.value) {
      result.textContent = "";
      result.className = "try-result small";
      return;
    }
    var regex;
    try {
      regex = new RegExp(patternInput.value, box.hasAttribute("data-ignore-case") ? "i" : "");
    } catch (error) {
      result.textContent = "Not a valid pattern yet.";
      result.className = "try-result small ink-bad";
      return;
    }
    var matches = regex.test(sample.value);
    result.textContent = matches ? "✓ matches" : "✗ does not match";
    result.className = "try-result small " + (matches ? "ink-ok" : "ink-bad");
  }

  form.querySelectorAll("[data-pattern-input]").forEach(function (box) {
    box.hidden = false;
    var run = function () { tryPattern(box); };
    box.querySelector("input").addEventListener("input", run);
    document.getElementById(box.dataset.patternInput).addEventListener("input", run);
  });
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
