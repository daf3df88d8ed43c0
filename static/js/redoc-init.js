// Starts Redoc on /api/v1/redoc/ from the container's data attributes (no inline script: Content-Security-Policy).
"use strict";
(function () {
  const container = document.getElementById("redoc-container");
  const settings = JSON.parse(container.dataset.settings || "{}");
  Redoc.init(container.dataset.schemaUrl, settings, container);
})();
