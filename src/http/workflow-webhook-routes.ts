import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { isUuid } from "../platform/lib/uuid.js"
import { Auth } from "../services/auth/index.js"
import { Workflows } from "../services/workflows/index.js"
import { bearerToken } from "./caller.js"
import { restError, restUserError } from "./errors.js"

/**
 * Twenty's workflow webhook trigger (workflow-trigger.controller.ts): `GET|POST /webhooks/workflows/:workspaceId/:workflowId`,
 * public; the JSON body (POST) or the query (GET; Twenty passes `{}`) becomes the trigger's payload; the
 * workflow's published version must be ACTIVE with a WEBHOOK trigger. Answers `{ workflowName, success, workflowRunId }`;
 * refusals are Twenty's: 404 for an unknown workflow, 400 otherwise; a trigger with `authentication: "API_KEY"`
 * answers 401 unless `Authorization: Bearer <an API key of the workspace>` comes with the request.
 */
const trigger = (method: "GET" | "POST") =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const { workspaceId, workflowId } = yield* HttpRouter.params
    if (!workspaceId || !workflowId || !isUuid(workspaceId) || !isUuid(workflowId)) {
      return restError(404, "NotFoundException", `[Webhook trigger] Workflow ${workflowId} not found in workspace ${workspaceId}`)
    }
    const payload = method === "GET"
      ? Object.fromEntries(new URL(request.url, "http://localhost").searchParams)
      : yield* Effect.orElseSucceed(request.json, () => ({}))
    const workflows = yield* Workflows
    const auth = yield* Auth
    const token = bearerToken(request.headers["authorization"])
    const apiKeyWorkspaceId = token
      ? auth.authenticate(token).pipe(Effect.map((caller) => (caller.kind === "apiKey" ? caller.workspace.id : null)), Effect.orElseSucceed(() => null))
      : Effect.succeed(null)
    return yield* workflows.startRunForWebhook(workspaceId, workflowId, payload, apiKeyWorkspaceId).pipe(
      Effect.map((answer) => HttpServerResponse.unsafeJson(answer)),
      Effect.catchTags({
        NotFound: (e) => Effect.succeed(restUserError(e)),
        Unauthenticated: (e) => Effect.succeed(restUserError(e)),
        BadUserInput: (e) => Effect.succeed(restUserError(e))
      })
    )
  })

export const workflowWebhookRoutes = HttpRouter.empty.pipe(
  HttpRouter.get("/webhooks/workflows/:workspaceId/:workflowId", trigger("GET")),
  HttpRouter.post("/webhooks/workflows/:workspaceId/:workflowId", trigger("POST"))
)
