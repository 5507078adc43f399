/*
 * Tailored glossary: the reader's choice on every path, link previews on touch screens, the
 * "copy link" and "compare" controls of a concept page.
 *
 * - Material's linked content tabs remember the chosen reader in localStorage ("__tabs", a list of
 *   tab labels, the latest first) and open that tab on every page. One rule adds to that: a page
 *   opened on a reader's tab (`#physicist`: a shared link, a search result, a link inside a
 *   reader's text, a concept on /for/<reader>/) makes that reader the choice. The home page's
 *   reader list, the A to Z's "Read the whole glossary as" links and the button of
 *   /for/<reader>/ write the same list.
 * - A concept's tooltip is written once per page; the other links to it get it from the first.
 * - On a touch screen, the first tap on a concept link shows its preview (Material's tooltip,
 *   which opens on focus); a second tap follows it.
 *
 * Served from the site itself; it requests nothing from anywhere.
 */
(function () {
  "use strict";

  var STORE = "__tabs";
  var READER_TABS = ".md-content .glossary-tabs";

  function stored() {
    try {
      var tabs = typeof __md_get === "function" ? __md_get(STORE) : null;
      return Array.isArray(tabs) ? tabs : [];
    } catch (err) {
      return [];
    }
  }

  function choose(label) {
    if (typeof __md_set !== "function" || !label) return;
    __md_set(STORE, [label].concat(stored().filter(function (tab) { return tab !== label; })));
  }

  function currentChoice(labels) {
    var tabs = stored();
    for (var i = 0; i < tabs.length; i++)
      if (labels.indexOf(tabs[i]) >= 0) return tabs[i];
    return null;
  }

  function labelOf(set, input) {
    var label = set.querySelector(':scope > .tabbed-labels > label[for="' + input.id + '"]');
    return label ? label.textContent.trim() : null;
  }

  /* A page opened on a reader's tab: that tab is shown and becomes the reader's choice. */
  function keepReaderFromHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    var set = document.querySelector(READER_TABS);
    if (!set) return;
    var input = set.querySelector(':scope > input[id="' + id.replace(/["\\]/g, "") + '"]');
    if (!input) return;
    if (!input.checked) input.click();  // Material moves its tab indicator on the change event
    choose(labelOf(set, input));
  }

  /* The home page's reader list, the A to Z's links and the persona pages' button. */
  function markChoosers() {
    var links = Array.prototype.slice.call(document.querySelectorAll("[data-glossary-persona]"));
    var labels = links.map(function (el) { return el.getAttribute("data-glossary-persona"); });
    var current = currentChoice(labels);
    links.forEach(function (el) {
      var chosen = el.getAttribute("data-glossary-persona") === current;
      el.classList.toggle("glossary-persona--current", chosen);
      if (chosen) el.setAttribute("aria-current", "true");
      else el.removeAttribute("aria-current");
      if (el.classList.contains("glossary-persona")) {
        var badge = el.parentNode.querySelector(".glossary-current-badge");
        if (chosen && !badge) {
          badge = document.createElement("span");
          badge.className = "glossary-current-badge";
          badge.textContent = el.getAttribute("data-glossary-current") || "your choice";
          el.parentNode.insertBefore(badge, el.nextSibling);
        } else if (!chosen && badge) {
          badge.remove();
        }
      }
    });
  }

  document.addEventListener("click", function (ev) {
    var el = ev.target instanceof Element ? ev.target.closest("[data-glossary-persona]") : null;
    if (!el) return;
    choose(el.getAttribute("data-glossary-persona"));
    if (el.classList.contains("glossary-choose")) {
      ev.preventDefault();
      var note = el.getAttribute("data-glossary-chosen");
      var status = el.parentNode.querySelector(".glossary-chosen");
      if (note && !status) {
        status = document.createElement("span");
        status.className = "glossary-chosen";
        status.setAttribute("role", "status");
        status.textContent = note;
        el.parentNode.insertBefore(status, el.nextSibling);
      }
    }
    markChoosers();
  });

  /* A page opened from a search result (?h=...) on a reader's tab: bring the first match in it into view. */
  function revealSearchHit() {
    var query = new URL(location.href).searchParams.get("h");
    var set = document.querySelector(READER_TABS);
    if (!query || !set) return;
    var tries = 0;
    setTimeout(function wait() {
      var block = openBlock(set);
      var mark = block && block.querySelector("mark[data-md-highlight]");
      if (mark) mark.scrollIntoView({ block: "center" });
      else if (tries++ < 20) setTimeout(wait, 100);
    }, 50);
  }

  function openBlock(set) {
    var inputs = Array.prototype.slice.call(set.querySelectorAll(":scope > input"));
    var blocks = set.querySelectorAll(":scope > .tabbed-content > .tabbed-block");
    return blocks[inputs.indexOf(set.querySelector(":scope > input:checked"))] || null;
  }

  /* A page writes a concept's tooltip once per link target; later links carry an empty title,
   * filled here before anyone can hover (Material reads a title when its tooltip opens). */
  var MENTIONS = ":is(.glossary-explanation, .glossary-missing, .glossary-definition, .glossary-facts) a";

  function fillMentionTitles() {
    var summaries = {};
    document.querySelectorAll(MENTIONS + "[title]").forEach(function (link) {
      if (link.title && !summaries.hasOwnProperty(link.href)) summaries[link.href] = link.title;
    });
    document.querySelectorAll(MENTIONS + '[title=""]').forEach(function (link) {
      var summary = summaries[link.href];  // resolved: Material makes the links absolute
      if (summary) link.title = summary;
    });
  }

  /* Touch screens: the first tap on a link with a preview shows it, the second follows the link. */
  var touched = false, armed = null;
  document.addEventListener("pointerdown", function (ev) { touched = ev.pointerType === "touch"; }, true);
  document.addEventListener("click", function (ev) {
    var link = ev.target instanceof Element ? ev.target.closest(".md-content a[href]:is([title], [aria-describedby])") : null;
    if (!touched || !link || link.closest(".tabbed-labels, .md-nav, .headerlink")) return;
    if (armed === link) { armed = null; return; }
    ev.preventDefault();
    ev.stopImmediatePropagation();
    armed = link;
    link.focus();
  }, true);
  document.addEventListener("focusout", function (ev) { if (ev.target === armed) armed = null; });

  /* "Copy link to this explanation": the address of this page with the reader's tab, wherever the site is served. */
  function setCopyLinks() {
    var here = location.href.split("#")[0].split("?")[0];
    document.querySelectorAll(".glossary-explanation .glossary-copy-link").forEach(function (button) {
      var persona = button.closest(".glossary-explanation").getAttribute("data-persona");
      button.setAttribute("data-clipboard-text", here + "#" + persona);
    });
  }

  /* Compare two readers side by side: copies of the two tabs' texts. */
  function setUpCompare() {
    var panel = document.querySelector(".md-content .glossary-compare");
    var set = document.querySelector(READER_TABS);
    if (!panel || !set) return;
    var selects = { a: panel.querySelector(".glossary-compare-a"), b: panel.querySelector(".glossary-compare-b") };
    function fill(name) {
      var pane = panel.querySelector('.glossary-compare-pane[data-pane="' + name + '"]');
      var persona = selects[name].value;
      var source = set.querySelector('.tabbed-block > [data-persona="' + persona.replace(/["\\]/g, "") + '"]');
      pane.replaceChildren();
      var heading = document.createElement("p");
      heading.className = "glossary-compare-name";
      heading.textContent = selects[name].selectedOptions[0] ? selects[name].selectedOptions[0].textContent : persona;
      pane.appendChild(heading);
      if (source) {
        var copy = source.cloneNode(true);
        copy.querySelectorAll(".glossary-provenance").forEach(function (el) { el.remove(); });
        copy.removeAttribute("data-persona");
        copy.className = "glossary-compare-text";  // a copy: not one of the page's readers' texts
        pane.appendChild(copy);
      }
    }
    var current = set.querySelector(":scope > input:checked");
    if (current && selects.a.querySelector('option[value="' + current.id + '"]')) {
      selects.a.value = current.id;
      if (selects.b.value === current.id)
        selects.b.selectedIndex = (selects.a.selectedIndex + 1) % selects.b.options.length;
    }
    ["a", "b"].forEach(function (name) {
      selects[name].addEventListener("change", function () { fill(name); });
    });
    panel.addEventListener("toggle", function () {  // filled when first opened, not on every page
      if (!panel.open) return;
      ["a", "b"].forEach(function (name) {
        if (!panel.querySelector('.glossary-compare-pane[data-pane="' + name + '"]').firstChild) fill(name);
      });
    });
    panel.hidden = false;
  }

  function onPage() {
    keepReaderFromHash();
    fillMentionTitles();
    markChoosers();
    setCopyLinks();
    setUpCompare();
    revealSearchHit();
  }

  window.addEventListener("hashchange", keepReaderFromHash);
  if (typeof document$ !== "undefined" && document$ && typeof document$.subscribe === "function")
    document$.subscribe(onPage);
  else if (document.readyState === "loading")
    document.addEventListener("DOMContentLoaded", onPage);
  else
    onPage();
})();
