// The port editor's schema rows: "Add a field" appends an empty row (Django's formset empty_form with the next
// index, and TOTAL_FORMS raised); "Remove" ticks the row's Delete box and hides it. Without this script the
// Delete boxes show and a save brings a spare row.
(function () {
  "use strict";
  var rows = document.getElementById("schema-rows");
  var template = document.getElementById("schema-row-template");
  var add = document.querySelector("[data-add-row]");
  if (!rows || !template || !add) return;
  var prefix = rows.dataset.formset;
  var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");

  function enhance(row) {
    var cell = row.querySelector(".row-delete");
    if (!cell || cell.querySelector("button")) return;
    var box = cell.querySelector("input[type=checkbox]");
    var label = cell.querySelector("label");
    box.hidden = true;
    if (label) label.hidden = true;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "linklike ink-bad";
    remove.textContent = "Remove";
    remove.addEventListener("click", function () {
      box.checked = true;
      row.hidden = true;
    });
    cell.appendChild(remove);
  }

  rows.querySelectorAll("[data-formset-row]").forEach(enhance);
  add.hidden = false;
  add.addEventListener("click", function () {
    var index = Number(total.value);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    rows.appendChild(row);
    total.value = String(index + 1);
    enhance(row);
    var first = row.querySelector("input[type=text]");
    if (first) first.focus();
  });
})();
