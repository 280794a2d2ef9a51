// Skillport catalog search as you type. The form works without this script (the proxy answers it);
// with it, each keystroke asks for one page of results only, never the catalog:
// - data-search="server" (the proxy): GET the same page with part=results and swap the list in;
// - data-search="pagefind" (a static site): Pagefind's chunked index, only the chunks a word needs.
// The search and filters live in the URL, so a search can be shared and the back button works.
(function () {
  "use strict";
  var form = document.getElementById("finder");
  var results = document.getElementById("results");
  if (!form || !results || !window.fetch || !window.URLSearchParams) { return; }
  var mode = form.getAttribute("data-search");
  var FIELDS = ["q", "category", "tag", "surface"];
  var PLUGINS_SHOWN = 24;
  var SHOWN = 12;  // results whose details a static search loads at once (Show more loads more)
  var initial = results.cloneNode(true);
  var serial = 0;
  var inflight = null;
  var lastPush = 0;

  function values() {
    var found = {};
    FIELDS.forEach(function (name) { found[name] = form.elements[name].value.trim(); });
    return found;
  }

  function params(found) {
    var p = new URLSearchParams();
    FIELDS.forEach(function (name) { if (found[name]) { p.set(name, found[name]); } });
    return p;
  }

  function narrowed(found) {
    return FIELDS.some(function (name) { return found[name]; });
  }

  function fill(from) {
    FIELDS.forEach(function (name) { form.elements[name].value = from.get(name) || ""; });
  }

  function remember(p, push) {
    var url = location.pathname + (p.toString() ? "?" + p.toString() : "");
    if (url === location.pathname + location.search) { return; }
    if (push) { history.pushState(null, "", url); } else { history.replaceState(null, "", url); }
  }

  function done(started) {
    var ms = performance.now() - started;
    results.setAttribute("data-answered-ms", ms.toFixed(1));
    document.dispatchEvent(new CustomEvent("skillport:results", { detail: { ms: ms } }));
  }

  function swapIn(node) {
    results.replaceChildren.apply(results, Array.prototype.slice.call(node.childNodes));
  }

  // The proxy: the same page, only its results ---------------------------------------------------
  function fromServer(found, mine, keepPage) {
    if (inflight) { inflight.abort(); }
    inflight = new AbortController();
    var p = params(found);
    var page = new URLSearchParams(location.search).get("page");
    if (page && keepPage) { p.set("page", page); }
    p.set("part", "results");
    return fetch(location.pathname + "?" + p.toString(), {
      signal: inflight.signal, credentials: "same-origin", headers: { "Accept": "text/html" }
    }).then(function (r) {
      if (!r.ok) { throw new Error("search answered " + r.status); }
      return r.text();
    }).then(function (html) {
      if (mine !== serial) { return; }
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("results");
      if (fresh) { swapIn(fresh); }
    });
  }

  // A static site: Pagefind ----------------------------------------------------------------------
  var pagefind = null;
  function loadPagefind() {
    if (!pagefind) {
      pagefind = import(new URL(form.getAttribute("data-pagefind"), document.baseURI).href).then(function (pf) {
        pf.options({ baseUrl: new URL(".", document.baseURI).pathname });
        // Load the filters' chunks, so each answer counts the matches per plugin (the plugin list).
        return pf.filters().then(function () { return pf; });
      });
    }
    return pagefind;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  // Pagefind's excerpt is escaped text with <mark> around the matches: rebuild it as text nodes.
  var ENTITIES = { lt: "<", gt: ">", quot: "\"", "#39": "'", "#x27": "'", amp: "&" };
  function excerpt(into, html) {
    html.split(/(<mark>|<\/mark>)/).reduce(function (marked, part) {
      if (part === "<mark>") { return true; }
      if (part === "</mark>") { return false; }
      var text = part.replace(/&(lt|gt|quot|#39|#x27|amp);/g, function (all, name) { return ENTITIES[name]; });
      into.appendChild(marked ? el("mark", {}, text) : document.createTextNode(text));
      return marked;
    }, false);
  }

  function card(data) {
    var li = el("li", { "class": "card", "data-name": data.url.split("/").pop().replace(/\.html$/, "") });
    var h2 = el("h2");
    h2.appendChild(el("a", { href: data.url }, data.meta.title));
    li.appendChild(h2);
    li.appendChild(el("p", { "class": "summary" }, data.meta.description || ""));
    if (data.excerpt) {
      var why = el("p", { "class": "why" }, "Matches: ");
      excerpt(why, data.excerpt);
      li.appendChild(why);
    }
    var facts = el("p", { "class": "facts" });
    facts.appendChild(el("span", {}, (data.meta.plugin || "") + " " + (data.meta.version || "")));
    ((data.filters || {}).surface || []).forEach(function (s) {
      var option = form.querySelector("#surface option[value='" + s.replace(/[^a-z-]/g, "") + "']");
      facts.appendChild(el("span", { "class": "badge" }, option ? option.textContent : s));
    });
    li.appendChild(facts);
    return li;
  }

  function renderPagefind(found, search, data) {
    var box = el("div");
    var total = search.results.length;
    box.appendChild(el("p", { id: "count", "class": "count", role: "status" },
      total + (total === 1 ? " skill" : " skills") + (found.q ? " for \u201c" + found.q + "\u201d" : "")));
    if (!total) {
      var empty = el("div", { "class": "empty" });
      empty.appendChild(el("p", {}, "No skill matches" + (found.q ? " \u201c" + found.q + "\u201d" : "") + "."));
      empty.appendChild(el("p", { "class": "meta" }, "Try fewer or shorter words, or fewer filters."));
      var reset = el("p");
      reset.appendChild(el("a", { "class": "button secondary", href: location.pathname }, "Reset search and filters"));
      empty.appendChild(reset);
      box.appendChild(empty);
    }
    var list = el("ul", { id: "skills", "class": "cards" });
    data.forEach(function (d) { list.appendChild(card(d)); });
    if (total) { box.appendChild(list); }
    if (total > data.length) {
      var more = el("button", { type: "button", "class": "secondary" }, "Show more");
      more.addEventListener("click", function () {
        var next = search.results.slice(list.children.length, list.children.length + SHOWN);
        Promise.all(next.map(function (r) { return r.data(); })).then(function (rows) {
          rows.forEach(function (d) { list.appendChild(card(d)); });
          if (list.children.length >= total) { more.remove(); }
        });
      });
      box.appendChild(el("div", { "class": "pager" })).appendChild(more);
    }
    // Pagefind counts the matches per plugin: name those holding one (the page's own entry, with its
    // description, where the first page lists the plugin).
    var counts = (search.filters || {}).plugin || {};
    var held = Object.keys(counts).filter(function (name) { return counts[name] > 0; }).sort();
    box.appendChild(el("h2", { "class": "section" }, "Plugins with a matching skill"));
    if (held.length) {
      var plugins = el("ul", { id: "plugins", "class": "plain" });
      held.slice(0, PLUGINS_SHOWN).forEach(function (name) {
        var known = initial.querySelector("#plugins li[data-plugin='" + name.replace(/[^A-Za-z0-9._-]/g, "") + "']");
        var li = known ? known.cloneNode(true) : el("li", { "data-plugin": name });
        if (!known) { li.appendChild(el("a", { href: "plugins/" + name + ".html" }, name)); }
        plugins.appendChild(li);
      });
      box.appendChild(plugins);
      if (held.length > PLUGINS_SHOWN) {
        box.appendChild(el("p", { "class": "meta" }, "and " + (held.length - PLUGINS_SHOWN) + " more: each skill links its plugin."));
      }
    } else {
      box.appendChild(el("p", { "class": "meta" }, "None."));
    }
    swapIn(box);
  }

  function fromPagefind(found, mine) {
    var filters = {};
    ["category", "tag", "surface"].forEach(function (name) { if (found[name]) { filters[name] = found[name]; } });
    return loadPagefind().then(function (pf) {
      return pf.search(found.q || null, { filters: filters });
    }).then(function (search) {
      if (mine !== serial || !search) { return; }
      return Promise.all(search.results.slice(0, SHOWN).map(function (r) { return r.data(); })).then(function (data) {
        if (mine === serial) { renderPagefind(found, search, data); }
      });
    });
  }

  // Both -----------------------------------------------------------------------------------------
  function run(push, fromHistory) {
    var found = values();
    var mine = ++serial;
    var started = performance.now();
    if (!fromHistory) { remember(params(found), push); }
    var answer;
    if (mode === "pagefind" && !narrowed(found)) {
      swapIn(initial.cloneNode(true));
      answer = Promise.resolve();
    } else {
      answer = mode === "pagefind" ? fromPagefind(found, mine) : fromServer(found, mine, fromHistory);
    }
    return answer.then(function () { if (mine === serial) { done(started); } }, function (err) {
      if (err && err.name === "AbortError") { return; }
      if (mine === serial) { form.submit(); }  // let the server answer the plain way
    });
  }

  form.addEventListener("submit", function (ev) { ev.preventDefault(); run(true, false); });
  form.elements.q.addEventListener("input", function () {
    var now = Date.now();
    run(now - lastPush > 1500, false);  // one history entry per burst of typing
    lastPush = now;
  });
  ["category", "tag", "surface"].forEach(function (name) {
    form.elements[name].addEventListener("change", function () { run(true, false); });
  });
  window.addEventListener("popstate", function () {
    fill(new URLSearchParams(location.search));
    run(false, true);
  });
  form.hidden = false;
  var start = new URLSearchParams(location.search);
  if (mode === "pagefind" && narrowed(values())) { run(false, true); }
  else if (mode === "pagefind" && start.toString()) { fill(start); run(false, true); }
}());
