// Skillport catalog search as you type. The form works without this script (the proxy answers it);
// with it, each keystroke asks for one page of results only, never the catalog:
// - data-search="server" (the proxy): GET the same page with part=results and swap the list in;
// - data-search="static" (a static site): its chunked index, only the few files a search needs.
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

  // A static site: its own chunked index (written by `skillport site`, see site/searchindex.py) ---
  // The head names each term shard's first term; a word fetches the shard(s) its prefix falls in,
  // a result its own small file. Every file is fetched once and kept; scoring is the proxy's.
  var base = mode === "static" ? new URL(form.getAttribute("data-index"), document.baseURI) : null;
  var files = {};
  var WORD = /[\p{L}\p{N}]+[+#]*/gu;
  var WHY = { name: "its name", tags: "a tag", description: "its description", category: "its category or plugin" };

  function load(path, decode) {
    if (!files[path]) {
      files[path] = fetch(new URL(path, base).href, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error(path + " answered " + r.status); }
        return decode === "json" ? r.json() : r.arrayBuffer().then(decode);
      });
      files[path].catch(function () { delete files[path]; });  // a failed file is asked again next time
    }
    return files[path];
  }

  function head() { return load("index.json", "json"); }

  function words(text) { return text.toLowerCase().match(WORD) || []; }
  function length(text) { return Array.from(text).length; }  // in code points, as Python counts
  function begins(text, prefix) { return text.lastIndexOf(prefix, 0) === 0; }

  function bisect(sorted, key, right) {  // the first place whose item is >= key (> key when right)
    var lo = 0, hi = sorted.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (right ? sorted[mid] <= key : sorted[mid] < key) { lo = mid + 1; } else { hi = mid; }
    }
    return lo;
  }

  function decodeShard(buffer) {
    var view = new DataView(buffer);
    if (new TextDecoder().decode(new Uint8Array(buffer, 0, 4)) !== "SPX1") { throw new Error("not a term shard"); }
    var size = view.getUint32(4, true);
    var header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, size)));
    var starts = [0];
    header.counts.forEach(function (c, i) { starts.push(starts[i] + c); });
    var total = starts[starts.length - 1];
    header.starts = starts;
    header.ids = new Uint32Array(buffer, 8 + size, total);
    header.weights = new Float32Array(buffer, 8 + size + 4 * total, total);
    return header;
  }

  function shardOf(index, key) { return Math.max(0, bisect(index.shards, key, true) - 1); }
  function shard(i) { return load("terms/" + i + ".bin", decodeShard); }

  function held(sh, t, allowed) {
    if (!allowed) { return true; }
    for (var p = sh.starts[t]; p < sh.starts[t + 1]; p++) { if (allowed[sh.ids[p]]) { return true; } }
    return false;
  }

  // The terms a query word stands for: itself, then the terms it begins (in term order, those an
  // allowed skill holds, up to the cap), or when none, the terms one edit away.
  function completions(index, word, allowed) {
    var rules = index.rules, found = [], size = length(word), short = size < rules.min_prefix;
    var first = shardOf(index, word);
    for (var k = first + 1; k < first + 4 && k < index.shards.length && begins(index.shards[k], word); k++) { shard(k); }
    function scan(i) {
      return shard(i).then(function (sh) {
        for (var t = bisect(sh.terms, word, false); t < sh.terms.length; t++) {
          var term = sh.terms[t];
          if (!begins(term, word) || (short && term !== word)) { return found; }
          if (held(sh, t, allowed)) {
            found.push({ sh: sh, t: t, factor: term === word ? 1 : 0.5 + 0.5 * size / length(term) });
            if (found.length >= rules.max_expansions) { return found; }
          }
        }
        return !short && i + 1 < index.shards.length && begins(index.shards[i + 1], word) ? scan(i + 1) : found;
      });
    }
    return scan(first).then(function (terms) {
      return terms.length || size < rules.min_typo ? terms : typos(index, word, allowed);
    });
  }

  function typos(index, word, allowed) {
    return load("words.json", "json").then(function (vocabulary) {
      if (!vocabulary.known) { vocabulary.known = new Set(vocabulary); }
      var near = edits(word, index.rules.alphabet).filter(function (e) { return vocabulary.known.has(e); });
      return Promise.all(near.map(function (term) {
        return shard(shardOf(index, term)).then(function (sh) {
          var t = bisect(sh.terms, term, false);
          return sh.terms[t] === term && held(sh, t, allowed) ? { sh: sh, t: t, factor: index.rules.typo } : null;
        });
      }));
    }).then(function (terms) { return terms.filter(Boolean); });
  }

  function edits(word, alphabet) {  // delete, swap, change, insert one character (as the proxy does)
    var chars = Array.from(word), found = new Set();
    var letters = Array.from(alphabet);
    Array.from(new Set(chars)).sort().forEach(function (c) { if (letters.indexOf(c) < 0) { letters.push(c); } });
    for (var i = 0; i <= chars.length; i++) {
      var a = chars.slice(0, i).join(""), b = chars.slice(i);
      if (b.length) { found.add(a + b.slice(1).join("")); }
      if (b.length > 1) { found.add(a + b[1] + b[0] + b.slice(2).join("")); }
      letters.forEach(function (c) {
        if (b.length) { found.add(a + c + b.slice(1).join("")); }
        found.add(a + c + b.join(""));
      });
    }
    found.delete(word);
    return Array.from(found);
  }

  function allowedBy(index, found) {  // the skills passing every filter given (null: no filter)
    var kinds = ["category", "tag", "surface"].filter(function (k) { return found[k]; });
    return Promise.all(kinds.map(function (kind) {
      var at = index.filters[kind].indexOf(found[kind]);
      return at < 0 ? null : load("filters/" + kind + "-" + at + ".bin", function (b) { return new Uint8Array(b); });
    })).then(function (sets) {
      if (!kinds.length) { return null; }
      var allowed = new Uint8Array(index.skills);
      for (var n = 0; n < index.skills; n++) {
        allowed[n] = sets.every(function (bits) { return bits && (bits[n >> 3] >> (n & 7)) & 1; }) ? 1 : 0;
      }
      return allowed;
    });
  }

  // Every allowed skill matching every word, best first (ties by name): the proxy's ranking.
  function ranked(index, found, allowed) {
    var terms = words(found.q), size = index.skills;
    var exact = found.q.trim().toLowerCase();
    return Promise.all([
      Promise.all(terms.map(function (w) { return completions(index, w, allowed); })),
      exact ? shard(shardOf(index, exact)) : null
    ]).then(function (got) {
      var matched = got[0], named = got[1];
      var numbers = [];
      if (!terms.length) {
        for (var n = 0; n < size; n++) { if (!allowed || allowed[n]) { numbers.push(n); } }
        return numbers;
      }
      if (matched.some(function (m) { return !m.length; })) { return numbers; }
      var scores = new Float64Array(size), candidate = new Uint8Array(size);
      if (allowed) { candidate.set(allowed); } else { candidate.fill(1); }
      matched.forEach(function (word) {
        var has = new Uint8Array(size), best = new Float64Array(size);
        word.forEach(function (m) {
          var sh = m.sh, factor = m.factor * Math.log(1 + size / sh.counts[m.t]);
          for (var p = sh.starts[m.t]; p < sh.starts[m.t + 1]; p++) {
            var id = sh.ids[p], value = sh.weights[p] * factor;
            has[id] = 1;
            if (value > best[id]) { best[id] = value; }
          }
        });
        for (var n = 0; n < size; n++) { scores[n] += best[n]; candidate[n] &= has[n]; }
      });
      ((named && named.names[exact]) || []).forEach(function (n) { scores[n] += index.rules.exact_name; });
      for (var k = 0; k < size; k++) { if (candidate[k]) { numbers.push(k); } }
      return numbers.sort(function (a, b) { return scores[b] - scores[a] || a - b; });
    });
  }

  function skillFile(n) { return load("skills/" + n + ".json", "json"); }

  function matches(terms, text) {
    return words(text).some(function (w) { return terms.some(function (t) { return begins(w, t); }); });
  }

  function why(card, terms) {  // the first field the words match, as the proxy's listing says
    if (!terms.length) { return null; }
    var fields = [["name", card.name], ["tags", card.tags.join(" ")], ["description", card.description],
      ["category", card.category + " " + card.plugin]];
    for (var i = 0; i < fields.length; i++) { if (matches(terms, fields[i][1])) { return { field: fields[i][0] }; } }
    var pieces = snippet(card.text, terms);
    return pieces.length ? { field: "SKILL.md", pieces: pieces } : null;
  }

  function snippet(text, terms) {  // about 160 characters around the first matching word
    var spans = [], start = 0, end = 0, m, re = new RegExp(WORD.source, "gu");
    while ((m = re.exec(text))) {
      if (spans.length && m.index >= end) { break; }
      var lower = m[0].toLowerCase();
      if (terms.some(function (t) { return begins(lower, t); })) {
        spans.push([m.index, m.index + m[0].length]);
        if (spans.length === 1) {
          start = Math.max(0, m.index - 53);
          while (start > 0 && !/\s/.test(text[start - 1])) { start--; }
          end = Math.min(text.length, start + 160);
          while (end < text.length && !/\s/.test(text[end])) { end++; }
        }
      }
    }
    if (!spans.length) { return []; }
    var pieces = start > 0 ? [["\u2026", false]] : [], at = start;
    spans.forEach(function (span) {
      if (span[0] < start || span[1] > end) { return; }
      pieces.push([text.slice(at, span[0]), false], [text.slice(span[0], span[1]), true]);
      at = span[1];
    });
    pieces.push([text.slice(at, end) + (end < text.length ? "\u2026" : ""), false]);
    return pieces.filter(function (p) { return p[0]; }).map(function (p) { return [p[0].replace(/\s+/g, " "), p[1]]; });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function card(index, data, terms) {
    var li = el("li", { "class": "card", "data-name": data.slug });
    li.appendChild(el("h2")).appendChild(el("a", { href: "skills/" + data.slug + ".html" }, data.ref));
    li.appendChild(el("p", { "class": "summary" }, data.description));
    var reason = why(data, terms);
    if (reason && reason.field === "SKILL.md") {
      var p = li.appendChild(el("p", { "class": "why" }, "In SKILL.md: "));
      reason.pieces.forEach(function (piece) {
        p.appendChild(piece[1] ? el("mark", {}, piece[0]) : document.createTextNode(piece[0]));
      });
    } else if (reason) {
      li.appendChild(el("p", { "class": "why" }, "Matches " + WHY[reason.field] + "."));
    }
    var facts = li.appendChild(el("p", { "class": "facts" }));
    facts.appendChild(el("span", {}, data.plugin + " " + data.version));
    data.surfaces.forEach(function (s) { facts.appendChild(el("span", { "class": "badge" }, index.surfaces[s] || s)); });
    if (data.category) { facts.appendChild(el("span", { "class": "badge quiet" }, data.category)); }
    if (data.deprecated) { facts.appendChild(el("span", { "class": "badge warn" }, "deprecated")); }
    return li;
  }

  // The plugins holding a match: the first PLUGINS_SHOWN in catalog order, and how many more.
  function holding(index, numbers) {
    return load("plugin-of.bin", function (b) { return new Uint32Array(b); }).then(function (pluginOf) {
      var seen = new Uint8Array(index.plugins), all = [];
      numbers.forEach(function (n) { seen[pluginOf[n]] = 1; });
      for (var i = 0; i < index.plugins; i++) { if (seen[i]) { all.push(i); } }
      var shown = all.slice(0, PLUGINS_SHOWN), chunk = index.plugin_chunk;
      return Promise.all(shown.map(function (i) {
        return load("plugins/" + Math.floor(i / chunk) + ".json", "json").then(function (rows) { return rows[i % chunk]; });
      })).then(function (rows) { return { rows: rows, more: all.length - shown.length }; });
    });
  }

  function renderStatic(index, found, numbers, cards, plugins) {
    var terms = words(found.q), total = numbers.length, filtered = found.category || found.tag || found.surface;
    var box = el("div");
    box.appendChild(el("p", { id: "count", "class": "count", role: "status" },
      total + (total === 1 ? " skill" : " skills") + (found.q ? " for \u201c" + found.q + "\u201d" : "")));
    if (!total) {
      var empty = box.appendChild(el("div", { "class": "empty" }));
      empty.appendChild(el("p")).appendChild(el("strong", {}, "No skill matches" +
        (found.q ? " \u201c" + found.q + "\u201d" : "") + (filtered ? " with these filters" : "") + "."));
      empty.appendChild(el("p", { "class": "meta" }, "Try fewer or shorter words, or fewer filters. " +
        "Search reads names, descriptions, tags and the text of each SKILL.md."));
      empty.appendChild(el("p")).appendChild(
        el("a", { "class": "button secondary", href: location.pathname }, "Reset search and filters"));
    } else {
      var list = box.appendChild(el("ul", { id: "skills", "class": "cards" }));
      cards.forEach(function (d) { list.appendChild(card(index, d, terms)); });
      if (total > cards.length) {
        var more = el("button", { type: "button", "class": "secondary" }, "Show more");
        more.addEventListener("click", function () {
          var next = numbers.slice(list.children.length, list.children.length + SHOWN);
          Promise.all(next.map(skillFile)).then(function (rows) {
            rows.forEach(function (d) { list.appendChild(card(index, d, terms)); });
            if (list.children.length >= total) { more.remove(); }
          });
        });
        box.appendChild(el("div", { "class": "pager" })).appendChild(more);
      }
    }
    box.appendChild(el("h2", { "class": "section" }, "Plugins with a matching skill"));
    if (plugins.rows.length) {
      var ul = box.appendChild(el("ul", { id: "plugins", "class": "plain" }));
      plugins.rows.forEach(function (row) {
        var li = ul.appendChild(el("li", { "data-plugin": row[0] }));
        li.appendChild(el("a", { href: "plugins/" + row[0] + ".html" }, row[0]));
        li.appendChild(document.createTextNode(" " + row[1] + (row[2] ? " \u2014 " + row[2] : "")));
      });
      if (plugins.more) {
        box.appendChild(el("p", { "class": "meta", id: "more-plugins" }, "and " + plugins.more + " more: each skill links its plugin."));
      }
    } else {
      box.appendChild(el("p", { "class": "meta" }, "None."));
    }
    swapIn(box);
  }

  function fromStatic(found, mine) {
    return head().then(function (index) {
      return allowedBy(index, found).then(function (allowed) {
        return ranked(index, found, allowed);
      }).then(function (numbers) {
        if (mine !== serial) { return; }
        return Promise.all([Promise.all(numbers.slice(0, SHOWN).map(skillFile)), holding(index, numbers)]).then(function (got) {
          if (mine === serial) { renderStatic(index, found, numbers, got[0], got[1]); }
        });
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
    if (mode === "static" && !narrowed(found)) {
      swapIn(initial.cloneNode(true));
      answer = Promise.resolve();
    } else {
      answer = mode === "static" ? fromStatic(found, mine) : fromServer(found, mine, fromHistory);
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
  if (mode === "static") {  // fetch the index's head before the first keystroke needs it
    form.elements.q.addEventListener("focus", function () { head(); }, { once: true });
  }
  form.hidden = false;
  var start = new URLSearchParams(location.search);
  if (mode === "static" && narrowed(values())) { run(false, true); }
  else if (mode === "static" && start.toString()) { fill(start); run(false, true); }
}());
