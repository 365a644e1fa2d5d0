import { Effect } from "effect"
import type { WorkspaceMetadata } from "../../domain/metadata.js"
import type { Access } from "../../domain/permissions.js"
import type { Selection } from "../../services/records/types.js"
import { Auth } from "../../services/auth/index.js"
import { Metadata } from "../../services/metadata/index.js"
import { apiKeyScope } from "../../services/records/actor.js"
import { Records } from "../../services/records/index.js"
import { Permissions } from "../../services/permissions/index.js"
import { isDatabaseUnavailable } from "../../platform/database/index.js"
import { restUnavailableBody } from "../errors.js"
import { bearerToken } from "../caller.js"
import { restRecord, selectionFor } from "./selection.js"

/** How many writes this process's REST write lane answered itself, for tests and benchmarks. */
export const restWriteLaneCounts = { lane: 0 }

/** `/rest/{plural}` (a create), `/rest/{plural}/{uuid}` (an update or a delete) or `/rest/{plural}/{uuid}/restore`. */
const WRITE_PATH =
  /^\/rest\/([A-Za-z][A-Za-z0-9]*)(?:\/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(\/restore)?)?$/
const ID_ONLY: Selection = { fields: [], relations: [] }
/** Query parameters the lane answers; any other (depth, fields, upsert, a hard delete) is the Effect route's. */
const ANSWERED_PARAMS = new Set(["soft_delete"])

const capitalize = (name: string) => name.charAt(0).toUpperCase() + name.slice(1)

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * `POST /rest/{plural}`, `PATCH|PUT /rest/{plural}/{id}`, `DELETE /rest/{plural}/{id}?soft_delete=true` and
 * `PATCH /rest/{plural}/{id}/restore` (no query parameters) answered straight on the web request by Records' direct writes, with the Effect route's envelope and
 * status (records.ts). Null, before the request is read, for other routes and callers (members' tokens,
 * restricted roles, unknown objects, query parameters other than soft_delete). Once read, anything the
 * direct write does not take (a body that is not a JSON object, a create naming its id, which Twenty
 * checks first; input Records refuses; a record not found; a failed statement, which wrote nothing) is
 * answered by `fallback` with the body as read: the Effect route's answer, errors included. A database
 * that does not answer is a 503 at once, as the read lane's.
 */
export const makeRestWriteLane = Effect.gen(function*() {
  const auth = yield* Auth
  const metadata = yield* Metadata
  const records = yield* Records
  const permissions = yield* Permissions

  /** The depth-0 selection of an unrestricted caller (the same for every such role), one per (metadata version, object). */
  const selections = new WeakMap<WorkspaceMetadata, Map<string, Selection>>()
  const selectionOf = (current: WorkspaceMetadata, objectId: string, access: Access) => {
    let byObject = selections.get(current)
    if (!byObject) selections.set(current, byObject = new Map())
    let selection = byObject.get(objectId)
    if (!selection) {
      const object = current.objects.find((o) => o.id === objectId)!
      byObject.set(objectId, selection = selectionFor(current, object, 0, records.limits, access))
    }
    return selection
  }

  return (
    request: Request,
    path: string,
    headers: Readonly<Record<string, string>>,
    fallback: (request: Request) => Promise<Response>
  ): Promise<Response> | null => {
    const method = request.method
    const match = WRITE_PATH.exec(path)
    if (!match || match[1] === "metadata") return null
    const id = match[2]
    const restore = match[3] !== undefined
    if (restore ? method !== "PATCH" : id === undefined ? method !== "POST" : method !== "PATCH" && method !== "PUT" && method !== "DELETE") {
      return null
    }
    const params = new URL(request.url).searchParams
    for (const name of params.keys()) if (!ANSWERED_PARAMS.has(name) || restore) return null
    const soft = params.get("soft_delete") === "true"
    if (method === "DELETE" ? !soft : params.has("soft_delete")) return null
    const token = bearerToken(request.headers.get("authorization"))
    const who = token ? auth.authenticated(token) : undefined
    if (who?.kind !== "apiKey") return null
    const current = metadata.current(who.workspace.id)
    const object = current?.objects.find((o) => o.isActive && o.namePlural === match[1])
    const access = current && permissions.currentAccess(who, current)
    if (!current || !object || !access?.unrestricted) return null
    const scope = apiKeyScope(who, access)
    const selection = selectionOf(current, object.id, access)
    const name = object.nameSingular

    const answer = async (): Promise<Response> => {
      // A restore's body is not read by the Effect route either: it is passed on as it came.
      const text = method === "DELETE" ? "" : await request.text()
      const again = () => fallback(new Request(request.url, { method, headers: request.headers, body: text || undefined }))
      let body: unknown = null
      if (method !== "DELETE" && !restore) {
        try {
          body = JSON.parse(text)
        } catch {
          return again()
        }
        if (!isPlainObject(body) || (method === "POST" && "id" in body)) return again()
      }
      const write = method === "POST" ? records.createOneDirect(scope, name, body, selection)
        : restore ? records.restoreOneDirect(scope, name, id!, selection)
        : method === "DELETE" ? records.deleteOneDirect(scope, name, id!, ID_ONLY)
        : records.updateOneDirect(scope, name, id!, body, selection)
      if (write === null) return again()
      let record
      try {
        record = await write
      } catch (error) {
        if (isDatabaseUnavailable(error)) return Response.json(restUnavailableBody(), { status: 503, headers })
        return again()
      }
      if (record === null) return again()
      restWriteLaneCounts.lane++
      const [key, value, status] = method === "POST" ? [`create${capitalize(name)}`, restRecord(record, selection), 201]
        : restore ? [`restore${capitalize(name)}`, restRecord(record, selection), 200]
        : method === "DELETE" ? [`delete${capitalize(name)}`, { id: record["id"] }, 200]
        : [`update${capitalize(name)}`, restRecord(record, selection), 200]
      return new Response(JSON.stringify({ data: { [key]: value } }), { status, headers: { "content-type": "application/json", ...headers } })
    }
    return answer()
  }
})
