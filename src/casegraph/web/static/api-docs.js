// Starts Swagger UI on /api/docs (a file of its own: the CSP allows no inline script).
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") return;
  window.SwaggerUIBundle({ url: root.dataset.openapi, domNode: root, deepLinking: false });
})();
