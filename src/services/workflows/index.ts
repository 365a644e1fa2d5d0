/**
 * Twenty's workflows: the version lifecycle and step editing (versions.ts), runs (runs.ts, executor.ts,
 * flow.ts), what starts them (triggers.ts), the actions (actions/), and upkeep (maintenance.ts). Runs are
 * durable on the job runner with their state in the workspace's workflowRun rows (README, "Workflows").
 */
import type { SqlError } from "@effect/sql"
import { SqlClient } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import type { Actor } from "../../domain/actor.js"
import type { BadUserInput, NotFound, Unauthenticated } from "../../domain/errors.js"
import type { RecordEvent } from "../../domain/events.js"
import { Cache } from "../../platform/cache/index.js"
import { ResultCache } from "../../platform/cache/results.js"
import { AppConfig } from "../../platform/config.js"
import { JobQueue, type QueueUnavailable } from "../../platform/queue/index.js"
import { LogicFunctions } from "../logic-functions/index.js"
import { Mailer } from "../mail/index.js"
import type { SecretBox } from "../auth/secret-box.js"
import { Metadata } from "../metadata/index.js"
import { Records } from "../records/service.js"
import { executeRun } from "./executor.js"
import { submitForm, type SubmitFormInput } from "./forms.js"
import { sweepRuns } from "./maintenance.js"
import { updateRunStep } from "./run-steps.js"
import { startRun, stopRun } from "./runs.js"
import { testHttpRequest, type TestHttpRequestAnswer } from "./test-http-request.js"
import { schemaOf, type VersionRow, workflowRowsWritten } from "./store.js"
import { eventTriggersKey, startRunForWebhook, startRunsForCron, startRunsForEvent } from "./triggers.js"
import type { RunStatus, WorkflowStep } from "./types.js"
import * as versions from "./versions.js"
import * as builder from "./builder.js"
import type { WorkflowVersionStepChanges } from "./step-changes.js"

export type WorkflowsFailure = BadUserInput | NotFound | Unauthenticated | SqlError.SqlError | QueueUnavailable

export interface WorkflowsShape {
  readonly activateVersion: (workspaceId: string, versionId: string) => Effect.Effect<boolean, WorkflowsFailure>
  readonly deactivateVersion: (workspaceId: string, versionId: string) => Effect.Effect<boolean, WorkflowsFailure>
  readonly createDraftFromVersion: (workspaceId: string, workflowId: string, versionIdToCopy: string) => Effect.Effect<VersionRow, WorkflowsFailure>
  /** A manual or test run of any version (Twenty's runWorkflowVersion); `workflowRunId` names the run. */
  readonly runVersion: (
    workspaceId: string,
    input: { readonly workflowVersionId: string; readonly workflowRunId?: string | null; readonly payload?: unknown },
    createdBy: Actor
  ) => Effect.Effect<{ readonly id: string; readonly status: RunStatus }, WorkflowsFailure>
  readonly createStep: (workspaceId: string, input: versions.CreateStepInput) => Effect.Effect<WorkflowVersionStepChanges, WorkflowsFailure>
  readonly updateStep: (workspaceId: string, input: Parameters<typeof versions.updateStep>[1]) => Effect.Effect<WorkflowStep, WorkflowsFailure>
  readonly deleteStep: (workspaceId: string, input: Parameters<typeof versions.deleteStep>[1]) => Effect.Effect<WorkflowVersionStepChanges, WorkflowsFailure>
  readonly duplicateStep: (workspaceId: string, input: Parameters<typeof builder.duplicateStep>[1]) => Effect.Effect<WorkflowVersionStepChanges, WorkflowsFailure>
  readonly createEdge: (workspaceId: string, input: builder.EdgeInput) => Effect.Effect<WorkflowVersionStepChanges, WorkflowsFailure>
  readonly deleteEdge: (workspaceId: string, input: builder.EdgeInput) => Effect.Effect<WorkflowVersionStepChanges, WorkflowsFailure>
  readonly updatePositions: (workspaceId: string, input: builder.PositionsInput) => Effect.Effect<boolean, WorkflowsFailure>
  readonly duplicateWorkflow: (workspaceId: string, input: Parameters<typeof builder.duplicateWorkflow>[1]) => Effect.Effect<VersionRow, WorkflowsFailure>
  /** Twenty's submitFormStep: the FORM step's response, and the run goes on. */
  readonly submitForm: (workspaceId: string, input: SubmitFormInput) => Effect.Effect<boolean, WorkflowsFailure>
  /** Twenty's updateWorkflowRunStep: a step of the run's own flow replaced (a form's fields while it waits). */
  readonly updateRunStep: (workspaceId: string, input: { readonly workflowRunId: string; readonly step: WorkflowStep }) => Effect.Effect<WorkflowStep, WorkflowsFailure>
  /** Twenty's testHttpRequest: an HTTP_REQUEST step's request sent once, through the same SSRF guard. */
  readonly testHttpRequest: (input: Readonly<Record<string, unknown>>) => Effect.Effect<TestHttpRequestAnswer>
  readonly stopRun: (workspaceId: string, workflowRunId: string) => Effect.Effect<{ readonly id: string; readonly status: RunStatus }, WorkflowsFailure>
  readonly startRunsForEvent: (event: RecordEvent) => Effect.Effect<void, WorkflowsFailure>
  /** `apiKeyWorkspaceId`: the workspace of the request's API key, read only when the trigger asks for one. */
  readonly startRunForWebhook: (
    workspaceId: string,
    workflowId: string,
    payload: unknown,
    apiKeyWorkspaceId?: Effect.Effect<string | null>
  ) => Effect.Effect<{ readonly workflowName: string; readonly success: boolean; readonly workflowRunId: string }, WorkflowsFailure>
  readonly startRunsForCron: (now: Date) => Effect.Effect<void, WorkflowsFailure>
  /** The `workflows/run` job. */
  readonly executeRun: (workspaceId: string, workflowRunId: string) => Effect.Effect<void, WorkflowsFailure>
  readonly sweepRuns: Effect.Effect<void, SqlError.SqlError>
}

export class Workflows extends Context.Tag("score/Workflows")<Workflows, WorkflowsShape>() {}

export const WorkflowsLive = Layer.effect(
  Workflows,
  Effect.gen(function*() {
    const config = yield* AppConfig
    const context = yield* Effect.context<SqlClient.SqlClient | Metadata | Records | JobQueue | AppConfig | Mailer | Cache | ResultCache | LogicFunctions | SecretBox>()
    const provided = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient | Metadata | Records | JobQueue | AppConfig | Mailer | Cache | ResultCache | LogicFunctions | SecretBox>) =>
      Effect.provide(effect, context)
    /**
     * Lifecycle and step edits read, check and write several rows: all or nothing, the version locked. The
     * workspace's metadata is loaded first, outside: the embedded database's one connection is the transaction's.
     */
    const transactional = <A, E>(workspaceId: string, effect: Effect.Effect<A, E, SqlClient.SqlClient | Metadata | Records | JobQueue | AppConfig | Mailer | LogicFunctions | SecretBox>) =>
      written(workspaceId, Effect.zipRight(schemaOf(workspaceId), Effect.flatMap(SqlClient.SqlClient, (sql) => sql.withTransaction(effect))))
    /** Workflow rows written outside the records service: the result cache's epochs move once it is over. */
    const written = <A, E>(workspaceId: string, effect: Effect.Effect<A, E, SqlClient.SqlClient | Metadata | Records | JobQueue | AppConfig | Mailer | Cache | ResultCache | LogicFunctions | SecretBox>) =>
      provided(Effect.ensuring(effect, workflowRowsWritten(workspaceId)))
    const cache = yield* Cache
    /** Once committed, every instance drops the workspace's cached event triggers (Cache's pub/sub). */
    const triggersChanged = <A, E, R>(workspaceId: string, effect: Effect.Effect<A, E, R>) =>
      Effect.tap(effect, () => cache.invalidate(eventTriggersKey(workspaceId)))
    const settings = { maxRunningPerWorkspace: config.workflowMaxRunningPerWorkspace }
    return {
      activateVersion: (ws, id) => triggersChanged(ws, transactional(ws, versions.activateVersion(ws, id))),
      deactivateVersion: (ws, id) => triggersChanged(ws, transactional(ws, versions.deactivateVersion(ws, id))),
      createDraftFromVersion: (ws, workflowId, id) => transactional(ws, versions.createDraftFromVersion(ws, workflowId, id)),
      runVersion: (ws, input, createdBy) =>
        written(ws, Effect.flatMap(versions.versionIn(ws, input.workflowVersionId), ({ version }) =>
          startRun(ws, version, input.payload ?? {}, createdBy, input.workflowRunId ?? undefined))),
      createStep: (ws, input) => transactional(ws, versions.createStep(ws, input)),
      updateStep: (ws, input) => transactional(ws, versions.updateStep(ws, input)),
      deleteStep: (ws, input) => transactional(ws, versions.deleteStep(ws, input)),
      duplicateStep: (ws, input) => transactional(ws, builder.duplicateStep(ws, input)),
      createEdge: (ws, input) => transactional(ws, builder.createEdge(ws, input)),
      deleteEdge: (ws, input) => transactional(ws, builder.deleteEdge(ws, input)),
      updatePositions: (ws, input) => transactional(ws, builder.updatePositions(ws, input)),
      duplicateWorkflow: (ws, input) => transactional(ws, builder.duplicateWorkflow(ws, input)),
      // Not in a transaction: the run's job, queued last, must find the response already committed.
      submitForm: (ws, input) => written(ws, submitForm(ws, input)),
      updateRunStep: (ws, input) => written(ws, updateRunStep(ws, input)),
      testHttpRequest: (input) => provided(testHttpRequest(input)),
      stopRun: (ws, id) => transactional(ws, stopRun(ws, id)),
      startRunsForEvent: (event) => written(event.workspaceId, startRunsForEvent(event)),
      startRunForWebhook: (ws, workflowId, payload, apiKeyWorkspaceId) => written(ws, startRunForWebhook(ws, workflowId, payload, apiKeyWorkspaceId)),
      startRunsForCron: (now) => provided(startRunsForCron(now)),
      executeRun: (ws, id) => provided(executeRun(ws, id, settings)),
      sweepRuns: provided(sweepRuns({ staleAfter: config.workflowRunStaleAfter, runsKeptPerWorkflow: config.workflowRunsKeptPerWorkflow }))
    }
  })
)
