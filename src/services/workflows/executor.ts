/**
 * Runs one workflow run, step after step, on the `workflows` job queue. The run's state (Twenty's
 * `state.stepInfos`) is written after each step changes, so whichever worker takes the run's job next —
 * after a crash, a lost lease, a deferral — continues from the last finished step (flow.ts). Each write is
 * guarded by the run still being RUNNING: a stopWorkflowRun wins over the step in flight.
 */
import { Duration, Effect, Schedule, Schema } from "effect"
import { auditRunOutcome } from "./run-audit.js"
import { JobQueue } from "../../platform/queue/index.js"
import { ACTIONS, type ActionServices } from "./actions/registry.js"
import { StepFailed } from "./actions/action.js"
import { chosenNextStepIds, loopBody, loopIndexes, nextStep, variableContext } from "./flow.js"
import { asObject } from "./json.js"
import { resolveVariables } from "./variables.js"
import { findRun, runningRunsCount, schemaOf, updateRun, workflowRowsWritten } from "./store.js"
import { keepExtraKeys, RunState, type StepInfo, type WorkflowStep } from "./types.js"

export const WORKFLOWS_QUEUE = "workflows"
export const RUN_WORKFLOW_JOB = "run"

export interface ExecutorSettings {
  /** Runs of one workspace RUNNING at once; more wait (their job comes back a second later). */
  readonly maxRunningPerWorkspace: number
}

/** How many times a step with retryOnFailure is tried, and the pause before each retry (doubling). */
const RETRY_ATTEMPTS = 3
const RETRY_DELAY = Duration.millis(500)

const decodeState = Schema.decodeUnknown(RunState, keepExtraKeys)

const WORKFLOW_ACTOR = { source: "WORKFLOW", workspaceMemberId: null, name: "Workflow" } as const

/** Enqueues the run's job; the run id as job id, so a run is queued once however often this is called. */
export const enqueueRun = (workspaceId: string, workflowRunId: string, options: { readonly delay?: Duration.DurationInput; readonly suffix?: string } = {}) =>
  Effect.flatMap(JobQueue, (queue) =>
    queue.enqueue(WORKFLOWS_QUEUE, RUN_WORKFLOW_JOB, { workspaceId, workflowRunId }, {
      jobId: `run-${workflowRunId}${options.suffix ?? ""}`,
      attempts: 5,
      ...(options.delay ? { delay: options.delay } : {})
    }))

const stepError = (error: unknown) => (error instanceof StepFailed ? error.message : String(error))

const runStep = (workspaceId: string, workflowRunId: string, step: WorkflowStep, state: RunState) =>
  Effect.gen(function*() {
    const action = ACTIONS[step.type]
    if (!action) return yield* new StepFailed({ message: `Action type ${step.type} is not supported` })
    const raw = resolveVariables(step.settings.input ?? {}, variableContext(state))
    const input = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? { ...raw } : {}
    return yield* action.execute({
      workspaceId,
      workflowRunId,
      step,
      input,
      previousResult: state.stepInfos[step.id]?.result,
      idempotencyKey: [workflowRunId, step.id, ...loopIndexes(state, step.id)].join(":"),
      scope: { workspaceId, actor: WORKFLOW_ACTOR }
    })
  })

const withRetries = <A, R>(step: WorkflowStep, effect: Effect.Effect<A, StepFailed, R>) =>
  step.settings.errorHandlingOptions?.retryOnFailure?.value
    ? Effect.retry(effect, Schedule.intersect(Schedule.exponential(RETRY_DELAY), Schedule.recurs(RETRY_ATTEMPTS - 1)))
    : effect

const TERMINAL = ["COMPLETED", "FAILED", "STOPPED"]


/**
 * Takes the run's job: defers it while the workspace has `maxRunningPerWorkspace` runs RUNNING, then
 * runs steps until the flow is done, a step fails for good, a step waits (PENDING), or the run is stopped.
 * A DELAY's PENDING step carries `resumeAt`: its job is queued for then, and once due the step ends SUCCESS.
 */
export const executeRun = (workspaceId: string, workflowRunId: string, settings: ExecutorSettings) =>
  Effect.gen(function*() {
    const schema = yield* schemaOf(workspaceId)
    const runWritten = <A, E, R>(write: Effect.Effect<A, E, R>) => Effect.tap(write, () => workflowRowsWritten(workspaceId, ["workflowRun"]))
    const run = yield* findRun(schema, workflowRunId)
    if (!run || TERMINAL.includes(run.status) || run.status === "STOPPING") return
    if (run.status !== "RUNNING") {
      const running = yield* runningRunsCount(schema, workflowRunId)
      if (running >= settings.maxRunningPerWorkspace) {
        yield* enqueueRun(workspaceId, workflowRunId, { delay: "1 second", suffix: `-wait-${Date.now()}` })
        return
      }
      const started = yield* runWritten(updateRun(schema, workflowRunId, { status: "RUNNING", startedAt: true }, ["ENQUEUED", "NOT_STARTED"]))
      if (!started) return
    }
    const decoded = yield* Effect.either(decodeState(run.state))
    if (decoded._tag === "Left") {
      if (yield* runWritten(updateRun(schema, workflowRunId, { status: "FAILED", endedAt: true }, ["RUNNING"]))) {
        yield* auditRunOutcome(workspaceId, run, "FAILED", "malformed state")
      }
      return yield* Effect.logWarning(`Workflow run ${workflowRunId} has a malformed state`, decoded.left.message)
    }
    let state: RunState = decoded.right
    const persist = (next: RunState, patch: { readonly status?: "COMPLETED" | "FAILED"; readonly endedAt?: boolean } = {}) =>
      Effect.map(runWritten(updateRun(schema, workflowRunId, { ...patch, state: next, keepStoredFlow: true }, ["RUNNING"])), (written) => {
        state = next
        return written
      }).pipe(Effect.tap((written) => written && patch.status ? auditRunOutcome(workspaceId, run, patch.status, next.workflowRunError) : Effect.void))
    const withInfo = (id: string, info: StepInfo, extra: Record<string, StepInfo> = {}): RunState => ({
      ...state,
      stepInfos: { ...state.stepInfos, ...extra, [id]: info }
    })

    while (true) {
      const next = nextStep(state)
      if (next.kind === "done") {
        yield* persist(state, { status: "COMPLETED", endedAt: true })
        return
      }
      if (next.kind === "skip") {
        if (!(yield* persist(withInfo(next.step.id, { status: "SKIPPED" })))) return
        continue
      }
      if (next.kind === "waiting") {
        const waiting = state.stepInfos[next.step.id]
        const resumeAt = waiting?.resumeAt ? Date.parse(waiting.resumeAt) : NaN
        if (Number.isNaN(resumeAt)) return
        const remaining = resumeAt - Date.now()
        if (remaining > 0) {
          // One job per resume time (a run resumed twice queues it once); a job woken just early queues another.
          const suffix = `-resume-${next.step.id}-${resumeAt}${remaining > 2000 ? "" : `-${Date.now()}`}`
          yield* enqueueRun(workspaceId, workflowRunId, { delay: Duration.millis(remaining), suffix })
          return
        }
        if (!(yield* persist(withInfo(next.step.id, { status: "SUCCESS", result: { success: true }, attempts: waiting?.attempts ?? 1 })))) return
        continue
      }
      const step = next.step
      const attempts = (state.stepInfos[step.id]?.attempts ?? 0) + 1
      // An ITERATOR keeps its last result while it runs: which item comes next.
      const kept = step.type === "ITERATOR" ? { result: state.stepInfos[step.id]?.result } : {}
      if (!(yield* persist(withInfo(step.id, { status: "RUNNING", attempts, ...kept })))) return
      const outcome = yield* Effect.either(withRetries(step, runStep(workspaceId, workflowRunId, step, state)))
      if (outcome._tag === "Right" && outcome.right.pending) {
        const { resumeAt } = outcome.right.pending
        if (!(yield* persist(withInfo(step.id, { status: "PENDING", attempts, ...(resumeAt ? { resumeAt } : {}) })))) return
        continue
      }
      if (outcome._tag === "Right") {
        const info: StepInfo = { status: "SUCCESS", result: outcome.right.result, attempts }
        const chosen = outcome.right.nextStepIds ?? chosenNextStepIds(step, info)
        // A new item: the loop's steps run again from NOT_STARTED.
        const reset = step.type === "ITERATOR" && chosen.length > 0 && asObject(info.result)["hasProcessedAllItems"] === false
          ? Object.fromEntries(loopBody(state, step).map((id): [string, StepInfo] => [id, { status: "NOT_STARTED" }]))
          : {}
        if (!(yield* persist(withInfo(step.id, info, reset)))) return
        continue
      }
      const error = stepError(outcome.left)
      const failed = withInfo(step.id, { status: "FAILED", error, attempts })
      if (step.settings.errorHandlingOptions?.continueOnFailure?.value) {
        if (!(yield* persist(failed))) return
        continue
      }
      yield* persist({ ...failed, workflowRunError: error }, { status: "FAILED", endedAt: true })
      return
    }
  }).pipe(Effect.withSpan("Workflows.executeRun", { attributes: { workflowRunId } }))

export type ExecutorServices = ActionServices | JobQueue
