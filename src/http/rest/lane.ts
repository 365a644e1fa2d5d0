import { Effect } from "effect"
import { Auth } from "../../services/auth/index.js"
import { Metadata } from "../../services/metadata/index.js"
import { apiKeyScope } from "../../services/records/actor.js"
import { Records } from "../../services/records/index.js"
import { Permissions } from "../../services/permissions/index.js"
import { isDatabaseUnavailable } from "../../platform/database/index.js"
import { restUnavailableBody } from "../errors.js"
import { bearerToken } from "../caller.js"
import { listBody, parseListArgs } from "./list-args.js"
import { flatten, parseDepth, sharedSelectionFor } from "./selection.js"

/** How many reads (lists and records by id) this process's lanes answered themselves, for tests and benchmarks. */
export const restLaneCounts = { lane: 0 }

/** `/rest/{plural}` or `/rest/{plural}/{uuid}`: an id that is not a UUID is the Effect route's 400. */
const READ_PATH = /^\/rest\/([A-Za-z][A-Za-z0-9]*)(?:\/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}))?$/
const EXTRAS = { totalCount: true, aggregates: [] }

/**
 * `GET /rest/{plural}` and `GET /rest/{plural}/{id}` answered straight on the web request while everything
 * it needs is in memory (an API key's caller, the workspace's metadata and model): the same parsing,
 * selection and envelope as the Effect route (records.ts), with one Records.findManyDirect (or
 * findOneDirect) promise. Null, before the request is read, for anything else (other routes, members'
 * tokens, unknown objects, input errors): the Effect route answers those, and `fields` projections. A failed
 * statement, and a record not found (its 404), are answered by `fallback` (the Effect route) as well.
 * `headers` (CORS, security) go on the lane's own answers; the Effect route sets its own.
 */
export const makeRestReadLane = Effect.gen(function*() {
  const auth = yield* Auth
  const metadata = yield* Metadata
  const records = yield* Records
  const permissions = yield* Permissions

  return (
    request: Request,
    path: string,
    headers: Readonly<Record<string, string>>,
    fallback: () => Promise<Response>
  ): Promise<Response> | null => {
    const match = READ_PATH.exec(path)
    const token = match ? bearerToken(request.headers.get("authorization")) : null
    const who = token ? auth.authenticated(token) : undefined
    if (who?.kind !== "apiKey") return null
    const plural = match![1]
    const id = match![2]
    const current = metadata.current(who.workspace.id)
    const object = current?.objects.find((o) => o.isActive && o.namePlural === plural)
    const access = current && permissions.currentAccess(who, current)
    if (!current || !object || !access) return null
    let read: Promise<string | null> | undefined
    try {
      const params = new URL(request.url).searchParams
      // A projection is answered by the Effect route, which parses and checks it.
      if (params.has("fields")) return null
      const selection = sharedSelectionFor(current, object, parseDepth(params), records.limits, access)
      const scope = apiKeyScope(who, access)
      read = id === undefined
        ? records.findManyDirect(scope, object.nameSingular, parseListArgs(params, object, records.limits), selection, EXTRAS)
          ?.then((result) => JSON.stringify(listBody(object, result, selection)))
        : records.findOneDirect(scope, object.nameSingular, { id: { eq: id } }, selection)
          ?.then((record) => record && JSON.stringify({ data: { [object.nameSingular]: flatten(record, selection) } }))
    } catch {
      return null
    }
    return read?.then((body) => {
      if (body === null) return fallback()
      restLaneCounts.lane++
      return new Response(body, { headers: { "content-type": "application/json", ...headers } })
    }, (error) => isDatabaseUnavailable(error) ? Response.json(restUnavailableBody(), { status: 503, headers }) : fallback()) ?? null
  }
})
