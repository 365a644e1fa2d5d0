import { Effect, Schema } from "effect"
import { BadUserInput } from "../../../domain/errors.js"
import type { Cache } from "../../../platform/cache/index.js"
import { Permissions } from "../../../services/permissions/index.js"
import { actorOf } from "../../../services/records/actor.js"
import type { Records } from "../../../services/records/service.js"
import type { Metadata } from "../../../services/metadata/index.js"
import { Workflows, type WorkflowsShape } from "../../../services/workflows/index.js"
import { computeStepOutputSchema } from "../../../services/workflows/output-schema.js"
import { keepExtraKeys, WorkflowStep } from "../../../services/workflows/types.js"
import type { Workspaces } from "../../../services/workspace/index.js"
import type { GraphQLContext } from "../yoga.js"
import { workspaceOf } from "./auth-resolvers.js"

/** What these resolvers run: workflows, the WORKFLOWS permission check, and the run's creator (actorOf). */
export type WorkflowServices = Workflows | Permissions | Workspaces | Cache | Records | Metadata

type Context = GraphQLContext<WorkflowServices>
type Args = Record<string, any>

const decodeStep = Schema.decodeUnknown(WorkflowStep, keepExtraKeys)

/** Runs a workflow operation for the caller, who needs Twenty's WORKFLOWS permission. */
const withWorkflows = async <A>(
  ctx: Context,
  run: (workflows: WorkflowsShape, workspaceId: string, caller: Awaited<ReturnType<typeof workspaceOf>>) => Effect.Effect<A, any, any>
) => {
  const auth = await workspaceOf(ctx)
  return ctx.run(Effect.gen(function*() {
    yield* Effect.flatMap(Permissions, (p) => p.requireFlag(auth, "WORKFLOWS"))
    return yield* run(yield* Workflows, auth.workspace.id, auth)
  }))
}

/** Twenty's WorkflowAction: a step with `valid` always present. */
const action = (step: WorkflowStep) => ({ ...step, valid: step.valid ?? false, nextStepIds: step.nextStepIds ?? [] })

export const workflowResolvers = {
  Mutation: {
    activateWorkflowVersion: (_: unknown, args: Args, ctx: Context) =>
      withWorkflows(ctx, (w, ws) => w.activateVersion(ws, args.workflowVersionId)),
    deactivateWorkflowVersion: (_: unknown, args: Args, ctx: Context) =>
      withWorkflows(ctx, (w, ws) => w.deactivateVersion(ws, args.workflowVersionId)),
    runWorkflowVersion: (_: unknown, args: Args, ctx: Context) =>
      withWorkflows(ctx, (w, ws, caller) => Effect.flatMap(actorOf(caller), (actor) => w.runVersion(ws, args.input, actor))),
    createDraftFromWorkflowVersion: (_: unknown, args: Args, ctx: Context) =>
      withWorkflows(ctx, (w, ws) =>
        Effect.map(w.createDraftFromVersion(ws, args.input.workflowId, args.input.workflowVersionIdToCopy), (v) => ({ ...v, name: v.name ?? "" }))),
    duplicateWorkflow: (_: unknown, args: Args, ctx: Context) =>
      withWorkflows(ctx, (w, ws) => Effect.map(w.duplicateWorkflow(ws, args.input), (v) => ({ ...v, name: v.name ?? "" }))),
    createWorkflowVersionStep: (_: unknown, args: Args, ctx: Context) => withWorkflows(ctx, (w, ws) => w.createStep(ws, args.input)),
    updateWorkflowVersionStep: (_: unknown, args: Args, ctx: Context) =>
      withWorkflows(ctx, (w, ws) =>
        decodeStep(args.input.step).pipe(
          Effect.mapError(() => new BadUserInput({ message: "Step is invalid: it needs an id, a type and settings", subCode: "INVALID_REQUEST" })),
          Effect.flatMap((step) => w.updateStep(ws, { workflowVersionId: args.input.workflowVersionId, step })),
          Effect.map(action)
        )),
    deleteWorkflowVersionStep: (_: unknown, args: Args, ctx: Context) => withWorkflows(ctx, (w, ws) => w.deleteStep(ws, args.input)),
    duplicateWorkflowVersionStep: (_: unknown, args: Args, ctx: Context) => withWorkflows(ctx, (w, ws) => w.duplicateStep(ws, args.input)),
    createWorkflowVersionEdge: (_: unknown, args: Args, ctx: Context) => withWorkflows(ctx, (w, ws) => w.createEdge(ws, args.input)),
    deleteWorkflowVersionEdge: (_: unknown, args: Args, ctx: Context) => withWorkflows(ctx, (w, ws) => w.deleteEdge(ws, args.input)),
    updateWorkflowVersionPositions: (_: unknown, args: Args, ctx: Context) => withWorkflows(ctx, (w, ws) => w.updatePositions(ws, args.input)),
    updateWorkflowRunStep: (_: unknown, args: Args, ctx: Context) =>
      withWorkflows(ctx, (w, ws) =>
        decodeStep(args.input.step).pipe(
          Effect.mapError(() => new BadUserInput({ message: "Step is invalid: it needs an id, a type and settings", subCode: "INVALID_REQUEST" })),
          Effect.flatMap((step) => w.updateRunStep(ws, { workflowRunId: args.input.workflowRunId, step })),
          Effect.map(action)
        )),
    testHttpRequest: (_: unknown, args: Args, ctx: Context) => withWorkflows(ctx, (w) => w.testHttpRequest(args.input)),
    stopWorkflowRun: (_: unknown, args: Args, ctx: Context) => withWorkflows(ctx, (w, ws) => w.stopRun(ws, args.workflowRunId)),
    submitFormStep: (_: unknown, args: Args, ctx: Context) => withWorkflows(ctx, (w, ws) => w.submitForm(ws, args.input)),
    computeStepOutputSchema: (_: unknown, args: Args, ctx: Context) =>
      withWorkflows(ctx, (_w, ws) => computeStepOutputSchema(ws, args.input.step))
  }
}
