// A slug field marked data-slug-from="<id of the name field>" follows the name as it is typed (lower case,
// hyphens), until someone edits the slug itself. The server makes the same slug when the field is left empty.
(function () {
  "use strict";
  document.querySelectorAll("[data-slug-from]").forEach(function (slug) {
    var name = document.getElementById(slug.dataset.slugFrom);
    if (!name) return;
    var touched = slug.value !== "";
    slug.addEventListener("input", function () { touched = slug.value !== ""; });
    name.addEventListener("input", function () {
      if (touched) return;
      slug.value = name.value.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
        .replace(/[^a-z0-9\s-]/g, "").trim().replace(/[\s-]+/g, "-").slice(0, 80).replace(/-+$/, "");
    });
  });
})();
