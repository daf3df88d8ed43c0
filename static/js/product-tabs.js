// The product page's tabs: one section shows at a time, the one the address's #fragment names, so a reload, a
// shared link and Back all keep the tab. A fragment inside a section (#quality-run) opens that section. Without
// JavaScript every section shows, one under the other, and the tabs jump to them.
(function () {
  "use strict";
  var nav = document.querySelector("nav.tabs[data-tabs]");
  if (!nav) { return; }
  var links = Array.prototype.slice.call(nav.querySelectorAll('a[href^="#"]'));
  var panels = links.map(function (a) { return document.getElementById(a.hash.slice(1)); }).filter(Boolean);
  if (!panels.length) { return; }

  function panelFor(id) {
    var target = id ? document.getElementById(id) : null;
    if (!target) { return null; }
    for (var i = 0; i < panels.length; i++) {
      if (panels[i] === target || panels[i].contains(target)) { return panels[i]; }
    }
    return null;
  }

  function show(panel) {
    panels.forEach(function (p) { p.hidden = p !== panel; });
    links.forEach(function (a) {
      var on = a.hash === "#" + panel.id;
      a.classList.toggle("active", on);
      a.setAttribute("aria-selected", on ? "true" : "false");
      if (on) { a.setAttribute("aria-current", "page"); } else { a.removeAttribute("aria-current"); }
    });
  }

  function fromAddress() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var panel = panelFor(id) || panels[0];
    show(panel);
    var target = id ? document.getElementById(id) : null;
    if (target && target !== panel) { target.scrollIntoView(); }
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
  window.addEventListener("popstate", fromAddress);
  window.addEventListener("hashchange", fromAddress);
  fromAddress();
})();
