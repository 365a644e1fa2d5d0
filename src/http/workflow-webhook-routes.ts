import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { isUuid } from "../platform/lib/uuid.js"
import { Workflows } from "../services/workflows/index.js"
import { restError, restUserError } from "./errors.js"

/**
 * Twenty's workflow webhook trigger (workflow-trigger.controller.ts): `GET|POST /webhooks/workflows/:workspaceId/:workflowId`,
 * public; the JSON body (POST) or the query (GET; Twenty passes `{}`) becomes the trigger's payload; the
 * workflow's published version must be ACTIVE with a WEBHOOK trigger. Answers `{ workflowName, success, workflowRunId }`;
 * refusals are Twenty's: 404 for an unknown workflow, 400 otherwise.
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
    return yield* workflows.startRunForWebhook(workspaceId, workflowId, payload).pipe(
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
