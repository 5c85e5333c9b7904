// Starts the vendored Swagger UI on /api/docs/ (a file, so the page keeps a strict CSP).
window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  const csrf = document.querySelector("meta[name=csrf-token]")?.content || "";
  window.SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    domNode: root,
    deepLinking: true,
    validatorUrl: null, // never ask validator.swagger.io about the schema
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // "Try it out" runs in the visitor's own session: send Django's CSRF token along.
    requestInterceptor: (request) => {
      request.headers["X-CSRFToken"] = csrf;
      return request;
    },
  });
});
