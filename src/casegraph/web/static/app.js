// Progressive enhancement: the pages work without this file or the vendored libraries.
(function () {
  "use strict";
  function loadScript(src, done) {
    var s = document.createElement("script");
    s.src = src; s.onload = done; s.onerror = function () {};
    document.head.appendChild(s);
  }
  var NAMED_KEY_ACTORS = 8;
  function link(href, text) {
    var a = document.createElement("a");
    a.href = href; a.textContent = text;
    return a;
  }
  function item(list, child) {
    var li = document.createElement("li");
    li.appendChild(child);
    list.appendChild(li);
  }
  function showNode(panel, cy, node, caseName) {
    // built with DOM calls, never innerHTML: names come from exports
    var n = node.data();
    var base = "/cases/" + encodeURIComponent(caseName);
    panel.textContent = "";
    var title = document.createElement("h2");
    title.textContent = n.label;
    panel.appendChild(title);
    var facts = document.createElement("p");
    if (n.type === "chat") {
      facts.textContent = "Chat · " + node.connectedEdges().length + " members shown";
    } else {
      facts.textContent = (n.identifier || "") + (n.country ? " · " + n.country : " · no country") +
        (n.rank ? " · key actor #" + n.rank : "");
    }
    panel.appendChild(facts);
    var pages = document.createElement("ul");
    pages.className = "pages";
    if (n.type === "chat") {
      item(pages, link(base + "/chats/" + n.id, "Open the chat's timeline"));
    } else {
      item(pages, link(base + "/accounts/" + n.id, "Open the account"));
      if (n.rank) { item(pages, link(base + "/key-actors#actor-" + n.id, "Why a key actor")); }
    }
    panel.appendChild(pages);
    var heading = document.createElement("h3");
    heading.textContent = n.type === "chat" ? "Members" : "Chats";
    panel.appendChild(heading);
    var others = document.createElement("ul");
    others.className = "neighbours";
    node.neighborhood("node").sort(function (a, b) {
      return (b.data("score") || 0) - (a.data("score") || 0) || a.data("label").localeCompare(b.data("label"));
    }).slice(0, 40).forEach(function (other) {
      var d = other.data();
      var href = base + (d.type === "chat" ? "/chats/" : "/accounts/") + d.id;
      item(others, link(href, d.label + (d.rank ? " (key actor #" + d.rank + ")" : "")));
    });
    panel.appendChild(others);
  }
  function drawGraph(box) {
    fetch(box.dataset.graphUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var elements = data.nodes.map(function (n) {
          return {
            data: {
              id: n.id, label: n.label, type: n.type, country: n.country || "",
              identifier: n.identifier || "", rank: n.key_actor_rank || 0,
              score: n.key_actor_score || 0
            },
            position: { x: n.x, y: n.y },
            // the top key actors are always named; the rest on hover or zoom
            classes: n.key_actor_rank ? (n.key_actor_rank <= NAMED_KEY_ACTORS ? "key named" : "key") : ""
          };
        }).concat(data.edges.map(function (e, i) {
          return { data: { id: "e" + i, source: e.source, target: e.target, role: e.role } };
        }));
        box.classList.add("live");
        var cy = window.cytoscape({
          container: box, elements: elements,
          layout: { name: "preset", fit: true, padding: 30 },  // the server's seeded layout
          style: [
            // other accounts' names only when zoomed in or pointed at
            { selector: "node", style: { label: "data(label)", "font-size": 8, "min-zoomed-font-size": 11, width: 9, height: 9, "background-color": "#4a9a5b", color: "#1d2430" } },
            { selector: "node[type = 'chat']", style: { "background-color": "#1f5fa8", width: 22, height: 22, "font-size": 12, "min-zoomed-font-size": 0, "font-weight": "bold" } },
            { selector: "node.key", style: { "background-color": "#d0481f", "border-color": "#7a2410", "border-width": 1.5, width: "mapData(score, 0, 20, 12, 34)", height: "mapData(score, 0, 20, 12, 34)" } },
            { selector: "node.named", style: { "font-size": 11, "min-zoomed-font-size": 0, "font-weight": "bold", "text-outline-color": "#fff", "text-outline-width": 2, "z-index": 5 } },
            { selector: "node.hover", style: { "font-size": 12, "min-zoomed-font-size": 0, "text-outline-color": "#fff", "text-outline-width": 2, "z-index": 10 } },
            { selector: "edge", style: { width: 0.7, "line-color": "#9aa6b8" } },
            { selector: "edge[role = 'creator']", style: { width: 2, "line-color": "#b23b3b" } },
            { selector: "edge[role = 'admin']", style: { width: 1.4, "line-color": "#c27a00" } },
            { selector: "node:selected", style: { "background-color": "#e0a000", "border-color": "#333", "border-width": 2, "min-zoomed-font-size": 0 } }
          ]
        });
        cy.on("mouseover", "node", function (evt) { evt.target.addClass("hover"); });
        cy.on("mouseout", "node", function (evt) { evt.target.removeClass("hover"); });
        var panel = document.getElementById("node-panel");
        cy.on("tap", "node", function (evt) {
          var n = evt.target.data();
          cy.elements().unselect();
          evt.target.select();
          var out = document.getElementById("selection");
          if (out) { out.textContent = n.type + ": " + n.label + (n.country ? " (" + n.country + ")" : ""); }
          if (panel) { showNode(panel, cy, evt.target, box.dataset.case); }
        });
        window.casegraphGraph = cy;
        box.dataset.nodes = String(cy.nodes().length);
      });
  }
  var SVG = "http://www.w3.org/2000/svg";
  function drawMap(box) {
    Promise.all([
      fetch(box.dataset.worldUrl).then(function (r) { return r.json(); }),
      fetch(box.dataset.mapUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); })
    ]).then(function (loaded) {
      var world = loaded[0], data = loaded[1];
      var byNumber = {};
      Object.keys(data.numeric).forEach(function (code) { byNumber[data.numeric[code]] = code; });
      var peak = 0;
      Object.keys(data.countries).forEach(function (code) { peak = Math.max(peak, data.countries[code].accounts); });
      var width = 960, height = 500;
      var projection = window.d3.geoNaturalEarth1().fitSize([width, height], { type: "Sphere" });
      var path = window.d3.geoPath(projection);
      var svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("viewBox", "0 0 " + width + " " + height);
      svg.setAttribute("class", "world");
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", "accounts per country");
      var sphere = document.createElementNS(SVG, "path");
      sphere.setAttribute("d", path({ type: "Sphere" }));
      sphere.setAttribute("class", "sphere");
      svg.appendChild(sphere);
      window.topojson.feature(world, world.objects.countries).features.forEach(function (feature) {
        var code = byNumber[feature.id];
        var figures = code ? data.countries[code] : null;
        var shape = document.createElementNS(SVG, "path");
        shape.setAttribute("d", path(feature) || "");
        var bucket = figures && figures.accounts ? 1 + Math.min(3, Math.floor(4 * (figures.accounts - 1) / Math.max(1, peak))) : 0;
        shape.setAttribute("class", "country shade" + bucket);
        var title = document.createElementNS(SVG, "title");
        title.textContent = feature.properties.name + (figures ? " (" + code + "): " + figures.accounts + " accounts; " +
          figures.investigations.map(function (i) { return i.case + " " + i.status; }).join(", ") : "");
        shape.appendChild(title);
        if (figures && figures.investigations.length) {
          var link = document.createElementNS(SVG, "a");
          link.setAttribute("href", "/cases/" + encodeURIComponent(figures.investigations[0].case) + "/investigations#investigation-" + code);
          link.setAttribute("data-country", code);
          link.appendChild(shape);
          svg.appendChild(link);
        } else {
          svg.appendChild(shape);
        }
      });
      box.appendChild(svg);
      box.dataset.drawn = String(Object.keys(data.numeric).length);
    });
  }
  function loadAll(sources, done) {
    if (!sources.length) { done(); return; }
    loadScript(sources[0], function () { loadAll(sources.slice(1), done); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var map = document.getElementById("map");
    if (map) {
      loadAll(["/vendor/d3-array/dist/d3-array.min.js", "/vendor/d3-geo/dist/d3-geo.min.js",
               "/vendor/topojson-client/dist/topojson-client.min.js"], function () {
        if (window.d3 && window.d3.geoPath && window.topojson) { drawMap(map); }
      });
    }
    var box = document.getElementById("graph");
    if (box) { loadScript("/vendor/cytoscape/dist/cytoscape.min.js", function () { if (window.cytoscape) { drawGraph(box); } }); }
  });
})();
