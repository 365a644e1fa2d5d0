import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { isUuid } from "../platform/lib/uuid.js"
import { Workflows } from "../services/workflows/index.js"
import { restError, restUserError } from "./errors.js"

/**
 * Twenty's workflow webhook trigger (workflow-trigger.controller.ts): `GET|POST /webhooks/workflows/:workspaceId/:workflowId`,
 * public; the query (GET) or the JSON body (POST) becomes the trigger's payload; the workflow must have an
 * ACTIVE version whose trigger is WEBHOOK with that method. Answers `{ workflowName, success, workflowRunId }`.
 */
const trigger = (method: "GET" | "POST") =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const { workspaceId, workflowId } = yield* HttpRouter.params
    if (!workspaceId || !workflowId || !isUuid(workspaceId) || !isUuid(workflowId)) {
      return restError(404, "NotFoundException", "Workflow not found or has no active webhook trigger")
    }
    const payload = method === "GET"
      ? Object.fromEntries(new URL(request.url, "http://localhost").searchParams)
      : yield* Effect.orElseSucceed(request.json, () => ({}))
    const workflows = yield* Workflows
    return yield* workflows.startRunForWebhook(workspaceId, workflowId, method, payload).pipe(
      Effect.map((answer) => HttpServerResponse.unsafeJson(answer)),
      Effect.catchTags({
        NotFound: (e) => Effect.succeed(restUserError(e)),
        BadUserInput: (e) => Effect.succeed(restUserError(e))
      })
    )
  })

export const workflowWebhookRoutes = HttpRouter.empty.pipe(
  HttpRouter.get("/webhooks/workflows/:workspaceId/:workflowId", trigger("GET")),
  HttpRouter.post("/webhooks/workflows/:workspaceId/:workflowId", trigger("POST"))
)
