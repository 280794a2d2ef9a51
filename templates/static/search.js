// Skillport catalog search: filters the server-rendered list in place; no network but the index.
(function () {
  "use strict";
  var form = document.getElementById("finder");
  var list = document.getElementById("skills");
  var count = document.getElementById("count");
  if (!form || !list) { return; }
  var cards = {};
  Array.prototype.forEach.call(list.children, function (li) { cards[li.getAttribute("data-name")] = li; });
  var entries = [];
  var lastOrder = Object.keys(cards).join("\n");

  function words(text) { return text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean); }

  function score(entry, terms) {
    var total = 0;
    for (var i = 0; i < terms.length; i++) {
      var t = terms[i];
      if (entry.name.indexOf(t) !== -1) { total += 10; }
      else if (entry.head.indexOf(t) !== -1) { total += 4; }
      else if (entry.body.indexOf(t) !== -1) { total += 1; }
      else { return 0; }
    }
    return total;
  }

  function apply() {
    var terms = words(document.getElementById("q").value);
    var category = document.getElementById("category").value;
    var tag = document.getElementById("tag").value;
    var surface = document.getElementById("surface").value;
    var shown = [];
    entries.forEach(function (e) {
      if (category && e.c !== category) { return; }
      if (tag && e.t.indexOf(tag) === -1) { return; }
      if (surface && e.s.indexOf(surface) === -1) { return; }
      var s = terms.length ? score(e, terms) : 1;
      if (s > 0) { shown.push([s, e.u || e.n]); }
    });
    shown.sort(function (a, b) { return b[0] - a[0] || (a[1] < b[1] ? -1 : 1); });
    var order = shown.map(function (pair) { return pair[1]; });
    var visible = {};
    order.forEach(function (name) { visible[name] = true; });
    // Touch the DOM only where something changed: toggling and moving 1,000 cards is the cost.
    Object.keys(cards).forEach(function (name) {
      var hide = !visible[name];
      if (cards[name].hidden !== hide) { cards[name].hidden = hide; }
    });
    if (order.join("\n") !== lastOrder) {
      var fragment = document.createDocumentFragment();
      order.forEach(function (name) { fragment.appendChild(cards[name]); });
      list.insertBefore(fragment, list.firstChild);
      lastOrder = order.join("\n");
    }
    count.textContent = shown.length + (shown.length === 1 ? " skill" : " skills");
  }

  fetch("search-index.json").then(function (r) { return r.json(); }).then(function (index) {
    entries = index.skills.map(function (e) {
      e.name = e.n.toLowerCase();
      e.head = (e.d + " " + e.p + " " + e.t.join(" ") + " " + (e.c || "")).toLowerCase();
      e.body = e.x.toLowerCase();
      return e;
    }).filter(function (e) { return cards[e.u || e.n]; });
    form.hidden = false;
    ["q", "category", "tag", "surface"].forEach(function (id) {
      document.getElementById(id).addEventListener("input", apply);
    });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); apply(); });
    var initial = new URLSearchParams(location.search).get("q");
    if (initial) { document.getElementById("q").value = initial; apply(); }
  });
}());
