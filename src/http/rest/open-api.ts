import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option } from "effect"
import { isUserError, type UserError } from "../../domain/errors.js"
import type { ObjectMetadata, WorkspaceMetadata } from "../../domain/metadata.js"
import type { Access } from "../../domain/permissions.js"
import { Permissions } from "../../services/permissions/index.js"
import { canReadField, canReadObject } from "../../services/records/access.js"
import { Metadata } from "../../services/metadata/index.js"
import { Records } from "../../services/records/index.js"
import type { RecordsLimits } from "../../services/records/types.js"
import { restError, restUserError } from "../errors.js"
import { bearerToken, restCaller } from "../caller.js"
import type { OpenApiDocument } from "./open-api/common.js"
import { Lru } from "../../platform/lib/lru.js"
import { fingerprintOf } from "../../services/metadata/fingerprint.js"
import { buildCoreDocument } from "./open-api/core.js"
import { DOCS_CSP, DOCS_HTML, DOCS_PATH, docsAsset, swaggerUiDirectory } from "./open-api/docs-page.js"
import { buildMetadataDocument } from "./open-api/metadata.js"

const MAX_CACHED_WORKSPACES = 500

const asUserError = <E, R>(effect: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.catchIf(effect, isUserError, (e) => Effect.succeed(restUserError(e))) as Effect.Effect<
    HttpServerResponse.HttpServerResponse,
    Exclude<E, UserError>,
    R
  >

/**
 * Core documents by data model (workspaces with equal models share one: the document holds names only),
 * the least recently used dropped beyond MAX_CACHED_WORKSPACES.
 */
const makeCoreDocumentCache = (limits: RecordsLimits) => {
  const entries = new Lru<string, OpenApiDocument>(MAX_CACHED_WORKSPACES)
  return (metadata: WorkspaceMetadata): OpenApiDocument => {
    const key = fingerprintOf(metadata)
    const cached = entries.get(key)
    if (cached) return cached
    const document = buildCoreDocument(metadata.objects, limits)
    entries.set(key, document)
    return document
  }
}

/** The objects a restricted caller may read, each with only its readable fields (relations to readable objects). */
const readableObjects = (metadata: WorkspaceMetadata, access: Access): ReadonlyArray<ObjectMetadata> => {
  const visible = metadata.objects.filter((o) => o.isActive && canReadObject(access, o))
  const ids = new Set(visible.map((o) => o.id))
  return visible.map((object) => ({
    ...object,
    fields: object.fields.filter((f) =>
      canReadField(access, object, f) && (f.relationTargetObjectMetadataId === null || ids.has(f.relationTargetObjectMetadataId))
    )
  }))
}

/** `http(s)://host` of the request, from its Host and X-Forwarded-Proto headers. */
const requestOrigin = Effect.map(HttpServerRequest.HttpServerRequest, (request) =>
  Option.match(HttpServerRequest.toURL(request), { onNone: () => "", onSome: (url) => url.origin }))

/** A document with the request's server, `<origin><serverPath>`. */
const serveDocument = <E, R>(document: Effect.Effect<OpenApiDocument, E, R>, serverPath: string) =>
  asUserError(Effect.gen(function*() {
    const origin = yield* requestOrigin
    return HttpServerResponse.unsafeJson({ ...(yield* document), servers: [{ url: `${origin}${serverPath}` }] })
  }))

/** No token: none (the public document); otherwise the verified caller, or 401/403 as for any REST call. */
const optionalCaller = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
  bearerToken(request.headers["authorization"]) ? Effect.asSome(restCaller) : Effect.succeedNone)

/**
 * `GET /rest/open-api/{core,metadata}` (and Twenty's `/open-api/...` aliases): OpenAPI 3.1 documents of
 * the REST API, public like Twenty's; and the API reference page at `/rest/docs`.
 */
export const makeOpenApiRoutes = Effect.gen(function*() {
  // The limits the REST routes enforce (configurable), so the document states the same ones.
  const { limits } = yield* Records
  const coreDocumentOf = makeCoreDocumentCache(limits)
  const publicCoreDocument = buildCoreDocument([], limits)
  const metadataDocument = buildMetadataDocument()
  const swaggerUi = swaggerUiDirectory()

  /** A restricted caller's document: only the objects and fields it may read (one per compiled access). */
  const restrictedDocuments = new WeakMap<Access, OpenApiDocument>()
  const restrictedDocument = (metadata: WorkspaceMetadata, access: Access) => {
    let document = restrictedDocuments.get(access)
    if (!document) restrictedDocuments.set(access, document = buildCoreDocument(readableObjects(metadata, access), limits))
    return document
  }

  const coreDocument = Effect.gen(function*() {
    const caller = yield* optionalCaller
    if (Option.isNone(caller)) return publicCoreDocument
    const metadata = yield* Effect.flatMap(Metadata, (m) => m.get(caller.value.workspace.id))
    const access = yield* Effect.flatMap(Permissions, (p) => p.accessFor(caller.value, metadata))
    return access.unrestricted ? coreDocumentOf(metadata) : restrictedDocument(metadata, access)
  }).pipe(Effect.withSpan("openApi.coreDocument"))

  // The same for every workspace; a token that is sent must still be valid.
  const metadataDocumentFor = Effect.as(optionalCaller, metadataDocument)

  const serveCore = serveDocument(coreDocument, "/rest/")
  const serveMetadata = serveDocument(metadataDocumentFor, "/rest/metadata")

  const docsPage = Effect.succeed(
    HttpServerResponse.text(DOCS_HTML, { contentType: "text/html; charset=utf-8", headers: { "content-security-policy": DOCS_CSP } })
  )

  const docsAssetRoute = Effect.map(HttpRouter.params, ({ file }) => {
    const asset = docsAsset(swaggerUi, file ?? "")
    if (!asset) return restError(404, "NotFoundException", "Route not found")
    const options = { contentType: asset.contentType, headers: { "cache-control": "public, max-age=3600" } }
    return asset.kind === "text" ? HttpServerResponse.text(asset.body, options) : HttpServerResponse.raw(Bun.file(asset.path), options)
  })

  return HttpRouter.empty.pipe(
    HttpRouter.get("/rest/open-api/core", serveCore),
    HttpRouter.get("/open-api/core", serveCore),
    HttpRouter.get("/rest/open-api/metadata", serveMetadata),
    HttpRouter.get("/open-api/metadata", serveMetadata),
    HttpRouter.get(DOCS_PATH, docsPage),
    HttpRouter.get(`${DOCS_PATH}/assets/:file`, docsAssetRoute)
  )
})
