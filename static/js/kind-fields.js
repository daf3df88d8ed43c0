// Forms marked data-kind-form show only the fields of the chosen kind ([data-show-for="kind other"]), and a
// column picker ([data-column-picker]) lists only the columns of the chosen port (its optgroup). Without this
// script every field shows and the server checks the same on save.
(function () {
  "use strict";
  document.querySelectorAll("form[data-kind-form]").forEach(function (form) {
    var kind = form.querySelector("[name=kind]");
    var port = form.querySelector("[name=port]");
    var column = form.querySelector("[data-column-picker] select");

    function update() {
      var chosen = kind ? kind.value : "";
      form.querySelectorAll("[data-show-for]").forEach(function (element) {
        element.hidden = chosen !== "" && element.dataset.showFor.split(" ").indexOf(chosen) < 0;
      });
      if (port && column) {
        var label = port.selectedIndex > 0 ? port.options[port.selectedIndex].text : "";
        column.querySelectorAll("optgroup").forEach(function (group) {
          var shown = !label || group.label === label;
          group.hidden = !shown;
          group.disabled = !shown;
          if (!shown && column.selectedOptions.length && column.selectedOptions[0].parentNode === group) column.value = "";
        });
      }
    }
    form.addEventListener("change", update);
    update();
  });
})();
