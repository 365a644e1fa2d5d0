import { dirname, join } from "node:path"

/**
 * The API reference page: Swagger UI (npm `swagger-ui-dist`, served from node_modules, so it works
 * offline) over the two OpenAPI documents. Only the page shell and its start script are ours.
 */

export const DOCS_PATH = "/rest/docs"
const ASSETS_PATH = `${DOCS_PATH}/assets`

/** Swagger UI's files we serve, by name, with their content types. */
const PACKAGE_ASSETS: Record<string, string> = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
  "favicon-32x32.png": "image/png"
}

/**
 * Starts Swagger UI with both documents. A document lists the workspace's objects only when fetched
 * with a token, so the token given to "Authorize" is also sent for the documents, which are then reloaded.
 */
const START_SCRIPT = `"use strict";
const bearerToken = (system) => system.authSelectors.authorized().getIn(["bearerAuth", "value"]);
const reloadDocument = (action, system) => (payload) => {
  const result = action(payload);
  system.specActions.download(system.specSelectors.url());
  return result;
};
window.ui = SwaggerUIBundle({
  urls: [
    { name: "Records (core)", url: "/rest/open-api/core" },
    { name: "Data model (metadata)", url: "/rest/open-api/metadata" }
  ],
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [() => ({ statePlugins: { auth: { wrapActions: { authorize: reloadDocument, logout: reloadDocument } } } })],
  layout: "StandaloneLayout",
  filter: true,
  deepLinking: true,
  validatorUrl: null,
  requestInterceptor: (request) => {
    const token = request.loadSpec && window.ui ? bearerToken(window.ui) : undefined;
    if (token) request.headers.Authorization = "Bearer " + token;
    return request;
  }
});
`

const START_SCRIPT_NAME = "start.js"

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Score API reference</title>
  <link rel="stylesheet" href="${ASSETS_PATH}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${ASSETS_PATH}/favicon-32x32.png">
</head>
<body>
  <aside style="font-family: sans-serif; margin: 16px auto 0; max-width: 1420px; padding: 12px 20px; border: 1px solid #d8dde7; border-radius: 4px; background: #f4f7fb">
    <strong>Every call needs a token.</strong>
    Create an account, a workspace and an API key with
    <code>bun run cli workspace:create --name Acme --email you@example.com --password 'a long password'</code>
    (it prints the key), or sign in on <code>/metadata</code> for an access token. Then press
    <strong>Authorize</strong> below and paste it: it is sent as <code>Authorization: Bearer &lt;token&gt;</code>,
    and the documents reload with your workspace's objects.
  </aside>
  <div id="swagger-ui"></div>
  <script src="${ASSETS_PATH}/swagger-ui-bundle.js"></script>
  <script src="${ASSETS_PATH}/swagger-ui-standalone-preset.js"></script>
  <script src="${ASSETS_PATH}/${START_SCRIPT_NAME}"></script>
</body>
</html>
`

/**
 * Everything the page loads comes from this server; requests go to this server only ("Try it out"
 * calls the API on the same origin). Swagger UI sets inline styles, hence 'unsafe-inline' for styles.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join("; ")

export type DocsAsset =
  | { readonly kind: "file"; readonly path: string; readonly contentType: string }
  | { readonly kind: "text"; readonly body: string; readonly contentType: string }

/** Where swagger-ui-dist is installed, found the way an import would be (works from src/ and dist/). */
export const swaggerUiDirectory = () => dirname(Bun.resolveSync("swagger-ui-dist/package.json", import.meta.dir))

/** The asset named `name`, or undefined for anything else (no path is built from the request). */
export const docsAsset = (directory: string, name: string): DocsAsset | undefined => {
  if (name === START_SCRIPT_NAME) return { kind: "text", body: START_SCRIPT, contentType: "text/javascript; charset=utf-8" }
  const contentType = PACKAGE_ASSETS[name]
  return contentType && Object.hasOwn(PACKAGE_ASSETS, name) ? { kind: "file", path: join(directory, name), contentType } : undefined
}
