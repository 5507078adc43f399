/*
 * Tailored glossary: the reader's choice, and search hits inside tabs.
 *
 * - Material's linked content tabs remember the chosen reader in localStorage ("__tabs", a list of
 *   tab labels, the latest first) and open that tab on every page. The home page's reader list and
 *   the "Explain every page to me as" button of /for/<reader>/ write the same list.
 * - A concept's summary (the tooltip of a link to it) is written once per page; the other links
 *   to it get it from the first.
 * - A page opened from a search result carries ?h=<query> (search.highlight). If the query is
 *   found only in another reader's tab, that tab is opened, without storing it as the reader's
 *   choice, and the match is highlighted and scrolled into view.
 *
 * Served from the site itself; it requests nothing from anywhere.
 */
(function () {
  "use strict";

  var STORE = "__tabs";
  var SPLIT = /[\s\u200b\-、。，．・：；！？「」『』（）()\[\]{}"'“”‘’,.:;!?*+~^]+/;
  var firstPage = true;

  function stored() {
    try {
      var tabs = typeof __md_get === "function" ? __md_get(STORE) : null;
      return Array.isArray(tabs) ? tabs : [];
    } catch (err) {
      return [];
    }
  }

  function choose(label) {
    if (typeof __md_set !== "function") return;
    __md_set(STORE, [label].concat(stored().filter(function (tab) { return tab !== label; })));
  }

  function currentChoice(labels) {
    var tabs = stored();
    for (var i = 0; i < tabs.length; i++)
      if (labels.indexOf(tabs[i]) >= 0) return tabs[i];
    return null;
  }

  /* The home page's reader list and the persona pages' button: remember the choice. */
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

  /* Search: open the tab that holds the query, leaving the stored choice alone. */
  function terms(query) {
    return query.toLowerCase().split(SPLIT).filter(function (term) { return term.length > 0; });
  }

  function escapeRegExp(value) {
    return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  function tabToOpen(set, words) {
    var inputs = set.querySelectorAll(":scope > input");
    var blocks = set.querySelectorAll(":scope > .tabbed-content > .tabbed-block");
    var best = -1, bestScore = 0, checked = -1, checkedScore = 0;
    for (var i = 0; i < blocks.length && i < inputs.length; i++) {
      var text = blocks[i].textContent.toLowerCase();
      var score = words.filter(function (word) { return text.indexOf(word) >= 0; }).length;
      if (inputs[i].checked) { checked = i; checkedScore = score; }
      if (score > bestScore) { best = i; bestScore = score; }
    }
    if (bestScore === 0 || (checked >= 0 && checkedScore === bestScore)) return -1;
    return best;
  }

  function openQuietly(set, input) {
    var label = set.querySelector(':scope > .tabbed-labels > label[for="' + input.id + '"]');
    if (label) label.setAttribute("data-md-switching", "");  // Material then neither syncs nor stores it
    input.click();
    if (label) label.removeAttribute("data-md-switching");
  }

  function highlight(block, words) {
    var pattern = new RegExp("(" + words.map(escapeRegExp).join("|") + ")", "gi");
    var walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      var value = node.nodeValue;
      pattern.lastIndex = 0;
      if (!pattern.test(value) || (node.parentElement && node.parentElement.closest("mark"))) return;
      var fragment = document.createDocumentFragment();
      var last = 0;
      value.replace(pattern, function (match, group, offset) {
        fragment.appendChild(document.createTextNode(value.slice(last, offset)));
        var mark = document.createElement("mark");
        mark.setAttribute("data-md-highlight", "");
        mark.textContent = match;
        fragment.appendChild(mark);
        last = offset + match.length;
        return match;
      });
      fragment.appendChild(document.createTextNode(value.slice(last)));
      node.parentNode.replaceChild(fragment, node);
    });
  }

  function revealSearchHit(instant) {
    var query = new URL(location.href).searchParams.get("h");
    if (!query) return;
    var words = terms(query);
    if (!words.length) return;
    var hash = decodeURIComponent(location.hash.slice(1));
    document.querySelectorAll(".md-content .tabbed-set").forEach(function (set) {
      if (hash && set.querySelector(':scope > input[id="' + hash.replace(/"/g, "") + '"]')) return;
      var index = tabToOpen(set, words);
      if (index >= 0) openQuietly(set, set.querySelectorAll(":scope > input")[index]);
      var inputs = Array.prototype.slice.call(set.querySelectorAll(":scope > input"));
      var blocks = set.querySelectorAll(":scope > .tabbed-content > .tabbed-block");
      var block = blocks[inputs.indexOf(set.querySelector(":scope > input:checked"))];
      if (!block) return;
      var text = block.textContent.toLowerCase();
      if (!words.some(function (word) { return text.indexOf(word) >= 0; })) return;
      var tries = 0;
      setTimeout(function wait() {
        var mark = block.querySelector("mark[data-md-highlight]");
        if (!mark && index >= 0 && (instant || tries >= 30)) {  // Material highlighted before the tab was open
          highlight(block, words);
          mark = block.querySelector("mark[data-md-highlight]");
        }
        if (mark) {
          mark.scrollIntoView({ block: "center" });
        } else if (tries < 30) {
          tries += 1;
          setTimeout(wait, 100);
        }
      }, 50);
    });
  }

  /* A page writes a concept's summary once, on its first mention; later mentions (in other
   * readers' tabs) carry an empty title, filled here. Material reads a title when the tooltip
   * opens, so this runs before anyone can hover, on the first page and after instant loading. */
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

  function onPage() {
    var instant = !firstPage;
    firstPage = false;
    fillMentionTitles();
    markChoosers();
    revealSearchHit(instant);
  }

  if (typeof document$ !== "undefined" && document$ && typeof document$.subscribe === "function")
    document$.subscribe(onPage);
  else if (document.readyState === "loading")
    document.addEventListener("DOMContentLoaded", onPage);
  else
    onPage();
})();
