// The product page's tabs: one section shows at a time, the one the address's #fragment names, so a reload, a
// shared link and Back all keep the tab. A fragment inside a section (#quality-run) opens that section. Without
// JavaScript every section shows, one under the other, and the tabs jump to them.
// Some sections arrive after the page (htmx swaps a placeholder of the same id for the panel): sections are looked
// up each time, the tab is applied again once one lands, and a panel that fails to load says so in place.
(function () {
  "use strict";
  var nav = document.querySelector("nav.tabs[data-tabs]");
  if (!nav) { return; }
  var links = Array.prototype.slice.call(nav.querySelectorAll('a[href^="#"]'));
  if (!links.length) { return; }

  function panels() {
    return links.map(function (a) { return document.getElementById(a.hash.slice(1)); }).filter(Boolean);
  }

  function panelFor(id) {
    var target = id ? document.getElementById(id) : null;
    if (!target) { return null; }
    var all = panels();
    for (var i = 0; i < all.length; i++) {
      if (all[i] === target || all[i].contains(target)) { return all[i]; }
    }
    return null;
  }

  function show(panel) {
    panels().forEach(function (p) { p.hidden = p !== panel; });
    links.forEach(function (a) {
      var on = a.hash === "#" + panel.id;
      a.classList.toggle("active", on);
      a.setAttribute("aria-selected", on ? "true" : "false");
      if (on) { a.setAttribute("aria-current", "page"); } else { a.removeAttribute("aria-current"); }
    });
  }

  function fromAddress(scroll) {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var panel = panelFor(id) || panels()[0];
    if (!panel) { return; }
    show(panel);
    var target = id ? document.getElementById(id) : null;
    if (scroll && target && target !== panel) { target.scrollIntoView(); }
  }

  nav.setAttribute("role", "tablist");
  links.forEach(function (a) {
    a.setAttribute("role", "tab");
    a.addEventListener("click", function (event) {
      var panel = panelFor(a.hash.slice(1));
      if (!panel) { return; }
      event.preventDefault();
      if (window.location.hash !== a.hash) { window.history.pushState(null, "", a.hash); }
      show(panel);
    });
  });
  window.addEventListener("popstate", function () { fromAddress(true); });
  window.addEventListener("hashchange", function () { fromAddress(true); });
  // A panel that has just arrived: hide it unless its tab is open (at once, on the swap, so it never shows under
  // another tab), and scroll once to a fragment inside it.
  var fragmentFound = false;
  document.body.addEventListener("htmx:afterSwap", function () {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var arrived = !fragmentFound && id && document.getElementById(id);
    if (arrived) { fragmentFound = true; }
    fromAddress(Boolean(arrived));
  });
  function failed(event) {
    var section = event.detail && event.detail.elt;
    var status = section && section.querySelector && section.querySelector("[data-panel-status]");
    if (!status) { return; }
    section.removeAttribute("aria-busy");
    status.textContent = "This section could not be loaded. ";
    var again = document.createElement("a");
    again.href = section.getAttribute("hx-get");
    again.textContent = "Open it on its own page";
    status.appendChild(again);
  }
  document.body.addEventListener("htmx:responseError", failed);
  document.body.addEventListener("htmx:sendError", failed);
  fragmentFound = Boolean(document.getElementById(decodeURIComponent(window.location.hash.slice(1))));
  fromAddress(true);
})();
