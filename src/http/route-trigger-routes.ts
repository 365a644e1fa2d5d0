import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { Auth } from "../services/auth/index.js"
import { LogicFunctions } from "../services/logic-functions/index.js"
import { Workspaces } from "../services/workspace/index.js"
import { bearerToken } from "./caller.js"
import { restError } from "./errors.js"

/**
 * Twenty's HTTP route triggers (route-trigger controller, `/s/*`): the logic function whose
 * `httpRouteTriggerSettings` has this method and path gets Twenty's LogicFunctionEvent `{ headers,
 * queryStringParameters, pathParameters, body, isBase64Encoded, requestContext: { http: { method, path } } }`;
 * its value is the answer (JSON, or `{ __twentyHttpResponse, status, headers, body }` as it says). The
 * workspace is the caller's (a bearer token), else the Host's subdomain, else the only workspace with such a
 * route. `isAuthRequired` (Twenty's default) needs a token of that workspace. Authorization and cookies are
 * not passed to the function.
 */
const PRIVATE_HEADERS = new Set(["authorization", "cookie"])

const notFound = (path: string) => restError(404, "NotFoundException", `No route ${path}`)

const answerOf = (data: unknown) => {
  if (data !== null && typeof data === "object" && "__twentyHttpResponse" in data) {
    const r = data as { status?: number; headers?: Record<string, string>; body?: unknown }
    const status = typeof r.status === "number" && r.status >= 200 && r.status <= 599 ? r.status : 200
    const body = typeof r.body === "string" ? r.body : JSON.stringify(r.body ?? null)
    return HttpServerResponse.text(body, {
      status,
      headers: { "content-type": typeof r.body === "string" ? "text/plain; charset=utf-8" : "application/json", ...(r.headers ?? {}) }
    })
  }
  return HttpServerResponse.unsafeJson(data ?? null)
}

const trigger = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const url = new URL(request.url, "http://localhost")
  const path = url.pathname.replace(/^\/s(?=\/|$)/, "") || "/"
  const auth = yield* Auth
  const token = bearerToken(request.headers["authorization"])
  const caller = token ? yield* Effect.orElseSucceed(auth.authenticate(token), () => null) : null
  const callerWorkspace = caller && caller.kind !== "workspaceAgnostic" ? caller.workspace.id : null
  const subdomain = (request.headers["host"] ?? "").split(":")[0]!.split(".")
  const byHost = callerWorkspace === null && subdomain.length > 2
    ? yield* Effect.orElseSucceed(Effect.flatMap(Workspaces, (w) => w.findBySubdomain(subdomain[0]!)), () => null)
    : null
  const functions = yield* LogicFunctions
  const matches = yield* functions.forRoute(callerWorkspace ?? byHost?.id ?? null, request.method, path)
  const workspaces = new Set(matches.map((m) => m.fn.workspaceId))
  const match = matches[0]
  if (!match || workspaces.size !== 1) return notFound(path)
  if (match.settings.isAuthRequired && callerWorkspace !== match.fn.workspaceId) {
    return restError(401, "UnauthorizedException", "This route requires a token of its workspace")
  }
  const raw = request.method === "GET" || request.method === "HEAD" ? "" : yield* Effect.orElseSucceed(request.text, () => "")
  const body = raw === "" ? null : yield* Effect.try(() => JSON.parse(raw) as unknown).pipe(Effect.orElseSucceed(() => null))
  const event = {
    headers: Object.fromEntries(Object.entries(request.headers).filter(([name]) => !PRIVATE_HEADERS.has(name))),
    queryStringParameters: Object.fromEntries(url.searchParams),
    pathParameters: match.pathParameters,
    body,
    rawBody: raw,
    isBase64Encoded: false,
    requestContext: { http: { method: request.method, path } },
    userWorkspaceId: caller?.kind === "user" ? caller.userWorkspace.id : null
  }
  const result = yield* functions.execute(match.fn.workspaceId, match.fn.id, event)
  if (result.status === "ERROR") {
    return HttpServerResponse.unsafeJson(
      { statusCode: 500, error: result.error?.errorType ?? "Error", messages: [result.error?.errorMessage ?? "The function failed"] },
      { status: 500 }
    )
  }
  return answerOf(result.data)
}).pipe(Effect.catchAll(() => Effect.succeed(restError(500, "InternalServerErrorException", "The route could not be answered"))))

export const routeTriggerRoutes = HttpRouter.empty.pipe(HttpRouter.all("/s/*", trigger))
