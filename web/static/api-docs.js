// Starts Swagger UI on the site's own OpenAPI document; nothing is fetched from elsewhere.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger");
  window.SwaggerUIBundle({ url: root.dataset.spec, domNode: root, deepLinking: true, validatorUrl: null });
});
