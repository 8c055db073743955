// Progressive enhancement: the pages work without this file or the vendored libraries.
(function () {
  "use strict";
  function loadScript(src, done) {
    var s = document.createElement("script");
    s.src = src; s.onload = done; s.onerror = function () {};
    document.head.appendChild(s);
  }
  function drawGraph(box) {
    fetch(box.dataset.graphUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var elements = data.nodes.map(function (n) {
          return { data: { id: n.id, label: n.label, type: n.type, country: n.country || "" } };
        }).concat(data.edges.map(function (e, i) {
          return { data: { id: "e" + i, source: e.source, target: e.target, role: e.role } };
        }));
        box.classList.add("live");
        var cy = window.cytoscape({
          container: box, elements: elements, wheelSensitivity: 0.3,
          layout: { name: "cose", animate: false },
          style: [
            { selector: "node", style: { label: "data(label)", "font-size": 9, width: 10, height: 10, "background-color": "#4a9a5b" } },
            { selector: "node[type = 'chat']", style: { "background-color": "#1f5fa8", width: 22, height: 22, "font-size": 11 } },
            { selector: "edge", style: { width: 0.7, "line-color": "#9aa6b8" } },
            { selector: "edge[role = 'creator']", style: { width: 2, "line-color": "#b23b3b" } },
            { selector: "edge[role = 'admin']", style: { width: 1.4, "line-color": "#c27a00" } },
            { selector: ":selected", style: { "background-color": "#e0a000", "border-width": 2 } }
          ]
        });
        cy.on("tap", "node", function (evt) {
          var n = evt.target.data();
          var out = document.getElementById("selection");
          if (out) { out.textContent = n.type + ": " + n.label + (n.country ? " (" + n.country + ")" : ""); }
        });
        window.casegraphGraph = cy;
        box.dataset.nodes = String(cy.nodes().length);
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("graph");
    if (box) { loadScript("/vendor/cytoscape/dist/cytoscape.min.js", function () { if (window.cytoscape) { drawGraph(box); } }); }
  });
})();
