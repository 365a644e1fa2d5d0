import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { SqlError } from "@effect/sql"
import { Effect } from "effect"
import { BadUserInput, isUserError, NotFound, type UserError } from "../../domain/errors.js"
import type { FieldMetadata, ObjectMetadata } from "../../domain/metadata.js"
import { Metadata } from "../../services/metadata/index.js"
import { fieldChange, objectChange } from "../../services/audit/metadata-changes.js"
import { auditAfter } from "../../services/audit/outbox.js"
import { Permissions } from "../../services/permissions/index.js"
import { Webhooks, type WebhooksShape } from "../../services/webhooks/index.js"
import { restUserError } from "../errors.js"
import { restCaller } from "../caller.js"
import { isUuid } from "../../platform/lib/uuid.js"

const DEFAULT_LIMIT = 60
const MAX_LIMIT = 1000

/** Twenty's REST metadata list: `limit`, `starting_after` / `ending_before` record ids, pageInfo and totalCount. */
const page = <T extends { readonly id: string }>(items: ReadonlyArray<T>) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const params = new URL(request.url, "http://localhost").searchParams
    const rawLimit = params.get("limit")
    const limit = rawLimit === null ? DEFAULT_LIMIT : Number(rawLimit)
    if (!Number.isInteger(limit) || limit < 0) {
      return yield* new BadUserInput({ message: `limit '${rawLimit}' is invalid. Should be an integer`, field: "limit" })
    }
    const after = params.get("starting_after")
    const before = params.get("ending_before")
    if (after && before) return yield* new BadUserInput({ message: "Use starting_after or ending_before, not both" })
    const cursor = after ?? before
    if (cursor && !isUuid(cursor)) return yield* new BadUserInput({ message: `Invalid cursor: ${cursor}` })
    const index = cursor ? items.findIndex((item) => item.id === cursor) : -1
    if (cursor && index === -1) return yield* new BadUserInput({ message: `Invalid cursor: ${cursor}` })
    const take = Math.min(limit, MAX_LIMIT)
    const slice = before
      ? items.slice(Math.max(0, index - take), index)
      : items.slice(index + 1, index + 1 + take)
    const first = items.indexOf(slice[0]!)
    const last = items.indexOf(slice.at(-1)!)
    return {
      records: slice,
      pageInfo: {
        hasNextPage: slice.length > 0 && last < items.length - 1,
        hasPreviousPage: slice.length > 0 && first > 0,
        startCursor: slice[0]?.id ?? null,
        endCursor: slice.at(-1)?.id ?? null
      },
      totalCount: items.length
    }
  })

const idParam = Effect.flatMap(HttpRouter.params, ({ id }) =>
  id && isUuid(id) ? Effect.succeed(id) : Effect.fail(new BadUserInput({ message: `Invalid id: ${id}`, field: "id" })))

const jsonBody = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
  request.json.pipe(
    Effect.mapError(() => new BadUserInput({ message: "Request body must be valid JSON" })),
    Effect.filterOrFail(
      (body): body is Record<string, any> => typeof body === "object" && body !== null && !Array.isArray(body),
      () => new BadUserInput({ message: "Request body must be a JSON object" })
    )
  ))

/** The caller, refused unless they hold `flag` (DATA_MODEL for object and field writes, API_KEYS_AND_WEBHOOKS for webhooks). */
const callerWith = (flag: "DATA_MODEL" | "API_KEYS_AND_WEBHOOKS") =>
  Effect.tap(restCaller, (caller) => Effect.flatMap(Permissions, (p) => p.requireFlag(caller, flag)))
const dataModelCaller = callerWith("DATA_MODEL")
const webhooksCaller = callerWith("API_KEYS_AND_WEBHOOKS")

const metadataOfCaller = Effect.gen(function*() {
  const auth = yield* restCaller
  return yield* Effect.flatMap(Metadata, (m) => m.get(auth.workspace.id))
})

const json = (body: unknown, status = 200) => HttpServerResponse.unsafeJson(body, { status })

const asUserError = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.catchIf(effect, isUserError, (e) => Effect.succeed(restUserError(e))) as Effect.Effect<
    A | HttpServerResponse.HttpServerResponse,
    Exclude<E, UserError>,
    R
  >

const objectBody = (o: ObjectMetadata) => ({ ...o, fields: o.fields })
const findField = (objects: ReadonlyArray<ObjectMetadata>, id: string): FieldMetadata | undefined =>
  objects.flatMap((o) => o.fields).find((f) => f.id === id)

const webhookRoute = <A>(run: (webhooks: WebhooksShape, workspaceId: string) => Effect.Effect<A, UserError | SqlError.SqlError>, respond: (a: A) => HttpServerResponse.HttpServerResponse) =>
  asUserError(Effect.gen(function*() {
    const auth = yield* webhooksCaller
    return respond(yield* run(yield* Webhooks, auth.workspace.id))
  }))

/** `/rest/metadata/webhooks`: the same operations as on /metadata (API_KEYS_AND_WEBHOOKS flag required). */
const webhookRoutes = HttpRouter.empty.pipe(
  HttpRouter.get("/rest/metadata/webhooks", webhookRoute((w, ws) => w.list(ws), (webhooks) => json({ data: { webhooks } }))),
  HttpRouter.get("/rest/metadata/webhooks/:id", asUserError(Effect.gen(function*() {
    const auth = yield* webhooksCaller
    const id = yield* idParam
    return json({ data: { webhook: yield* Effect.flatMap(Webhooks, (w) => w.get(auth.workspace.id, id)) } })
  }))),
  HttpRouter.post("/rest/metadata/webhooks", asUserError(Effect.gen(function*() {
    const auth = yield* webhooksCaller
    const body = yield* jsonBody
    return json({ data: { createWebhook: yield* Effect.flatMap(Webhooks, (w) => w.create(auth.workspace.id, body)) } }, 201)
  }))),
  HttpRouter.patch("/rest/metadata/webhooks/:id", asUserError(Effect.gen(function*() {
    const auth = yield* webhooksCaller
    const id = yield* idParam
    const body = yield* jsonBody
    return json({ data: { updateWebhook: yield* Effect.flatMap(Webhooks, (w) => w.update(auth.workspace.id, id, body)) } })
  }))),
  HttpRouter.del("/rest/metadata/webhooks/:id", asUserError(Effect.gen(function*() {
    const auth = yield* webhooksCaller
    const id = yield* idParam
    const webhook = yield* Effect.flatMap(Webhooks, (w) => w.remove(auth.workspace.id, id))
    return json({ data: { deleteWebhook: { id: webhook.id } } })
  })))
)

/** `/rest/metadata/objects` and `/rest/metadata/fields` with Twenty's (legacy-format) envelopes. */
export const restMetadataRoutes = HttpRouter.concat(webhookRoutes, HttpRouter.empty).pipe(
  HttpRouter.get("/rest/metadata/objects", asUserError(Effect.gen(function*() {
    const metadata = yield* metadataOfCaller
    const { records, pageInfo, totalCount } = yield* page(metadata.objects)
    return json({ data: { objects: records.map(objectBody) }, pageInfo, totalCount })
  }))),
  HttpRouter.get("/rest/metadata/objects/:id", asUserError(Effect.gen(function*() {
    const id = yield* idParam
    const object = (yield* metadataOfCaller).objects.find((o) => o.id === id)
    if (!object) return yield* new NotFound({ message: "Object metadata not found" })
    return json({ data: { object: objectBody(object) } })
  }))),
  HttpRouter.post("/rest/metadata/objects", asUserError(Effect.gen(function*() {
    const auth = yield* dataModelCaller
    const body = yield* jsonBody
    const object = yield* Effect.flatMap(Metadata, (m) => m.createObject(auth.workspace.id, body as never)).pipe(Effect.tap(auditAfter(auth, "object.created", objectChange)))
    return json({ data: { createOneObject: objectBody(object) } }, 201)
  }))),
  HttpRouter.patch("/rest/metadata/objects/:id", asUserError(updateObject())),
  HttpRouter.put("/rest/metadata/objects/:id", asUserError(updateObject())),
  HttpRouter.del("/rest/metadata/objects/:id", asUserError(Effect.gen(function*() {
    const auth = yield* dataModelCaller
    const id = yield* idParam
    const object = yield* Effect.flatMap(Metadata, (m) => m.deleteObject(auth.workspace.id, id)).pipe(Effect.tap(auditAfter(auth, "object.deleted", objectChange)))
    return json({ data: { deleteOneObject: { id: object.id } } })
  }))),
  HttpRouter.get("/rest/metadata/fields", asUserError(Effect.gen(function*() {
    const metadata = yield* metadataOfCaller
    const { records, pageInfo, totalCount } = yield* page(metadata.objects.flatMap((o) => o.fields))
    return json({ data: { fields: records }, pageInfo, totalCount })
  }))),
  HttpRouter.get("/rest/metadata/fields/:id", asUserError(Effect.gen(function*() {
    const id = yield* idParam
    const field = findField((yield* metadataOfCaller).objects, id)
    if (!field) return yield* new NotFound({ message: "Field metadata not found" })
    return json({ data: { field } })
  }))),
  HttpRouter.post("/rest/metadata/fields", asUserError(Effect.gen(function*() {
    const auth = yield* dataModelCaller
    const body = yield* jsonBody
    const field = yield* Effect.flatMap(Metadata, (m) => m.createField(auth.workspace.id, body as never)).pipe(Effect.tap(auditAfter(auth, "field.created", fieldChange)))
    return json({ data: { createOneField: field } }, 201)
  }))),
  HttpRouter.patch("/rest/metadata/fields/:id", asUserError(updateField())),
  HttpRouter.put("/rest/metadata/fields/:id", asUserError(updateField())),
  HttpRouter.del("/rest/metadata/fields/:id", asUserError(Effect.gen(function*() {
    const auth = yield* dataModelCaller
    const id = yield* idParam
    const field = yield* Effect.flatMap(Metadata, (m) => m.deleteField(auth.workspace.id, id)).pipe(Effect.tap(auditAfter(auth, "field.deleted", fieldChange)))
    return json({ data: { deleteOneField: { id: field.id } } })
  })))
)

function updateObject() {
  return Effect.gen(function*() {
    const auth = yield* dataModelCaller
    const id = yield* idParam
    const body = yield* jsonBody
    const object = yield* Effect.flatMap(Metadata, (m) => m.updateObject(auth.workspace.id, id, body)).pipe(Effect.tap(auditAfter(auth, "object.updated", objectChange)))
    return json({ data: { updateOneObject: objectBody(object) } })
  })
}

function updateField() {
  return Effect.gen(function*() {
    const auth = yield* dataModelCaller
    const id = yield* idParam
    const body = yield* jsonBody
    const field = yield* Effect.flatMap(Metadata, (m) => m.updateField(auth.workspace.id, id, body)).pipe(Effect.tap(auditAfter(auth, "field.updated", fieldChange)))
    return json({ data: { updateOneField: field } })
  })
}
