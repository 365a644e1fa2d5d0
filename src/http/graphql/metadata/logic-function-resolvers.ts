import { Effect } from "effect"
import { Repeater, SlidingBuffer } from "graphql-yoga"
import type { Cache } from "../../../platform/cache/index.js"
import { LogicFunctions, type LogicFunctionRow, type LogicFunctionsShape } from "../../../services/logic-functions/index.js"
import { type FunctionLogEntry, FunctionLogs } from "../../../services/logic-functions/logs.js"
import { Permissions } from "../../../services/permissions/index.js"
import type { Workspaces } from "../../../services/workspace/index.js"
import type { GraphQLContext } from "../yoga.js"
import { workspaceOf } from "./auth-resolvers.js"

export type LogicFunctionServices = LogicFunctions | FunctionLogs | Permissions | Workspaces | Cache

type Context = GraphQLContext<LogicFunctionServices>
type Args = Record<string, any>

/** Every logic function door needs Twenty's WORKFLOWS permission (the resolver's class guard). */
const withFunctions = async <A>(ctx: Context, run: (functions: LogicFunctionsShape, workspaceId: string) => Effect.Effect<A, any, any>) => {
  const auth = await workspaceOf(ctx)
  return ctx.run(Effect.gen(function*() {
    yield* Effect.flatMap(Permissions, (p) => p.requireFlag(auth, "WORKFLOWS"))
    return yield* run(yield* LogicFunctions, auth.workspace.id)
  }))
}

/** Twenty's LogicFunctionDTO: the row without its workspace, sources and checksum. */
const dto = ({ workspaceId: _w, sources: _s, checksum: _c, ...row }: LogicFunctionRow) => ({
  ...row,
  executionMode: "LIVE",
  toolTriggerSettings: null,
  workflowActionTriggerSettings: null
})

const EDITABLE = [
  "name", "description", "timeoutSeconds", "handlerName", "sourceHandlerPath", "builtHandlerPath", "toolInputSchema", "isTool",
  "cronTriggerSettings", "databaseEventTriggerSettings", "httpRouteTriggerSettings", "sourceHandlerCode"
]

/** What null clears: the description and a trigger's settings (the function then has no such trigger). */
const CLEARABLE = ["description", "cronTriggerSettings", "databaseEventTriggerSettings", "httpRouteTriggerSettings"]

/** The inputs Score keeps; absent and null both mean "not given", except the CLEARABLE ones, which null clears. */
const given = (input: Args) =>
  Object.fromEntries(Object.entries(input).filter(([key, value]) => EDITABLE.includes(key) && (value !== null || CLEARABLE.includes(key))))

/** Twenty's `source: { sourceHandlerCode, toolInputSchema, handlerName }` of a create, over the same top-level inputs. */
const createInput = (input: Args) => {
  const source = input.source !== null && typeof input.source === "object" ? input.source as Args : {}
  return { ...given({ ...input, ...given(source) }), name: String(input.name), id: input.id ?? null }
}

/** Twenty's filter of the logs subscription: every given input property equals the entry's. */
const KEYS = ["id", "universalIdentifier", "name", "applicationId", "applicationUniversalIdentifier"] as const
const matchesInput = (input: Args, entry: FunctionLogEntry) =>
  KEYS.every((key) => input[key] === undefined || input[key] === null || input[key] === entry[key])

/**
 * The caller's workspace's execution logs matching `input`, one event per execution, until the client goes
 * (the stream's end removes the listener). A client that does not keep up loses the oldest beyond 100.
 */
const logsOf = (ctx: Context, input: Args) =>
  withFunctions(ctx, (_f, workspaceId) =>
    Effect.map(FunctionLogs, (logs) =>
      new Repeater<{ logicFunctionLogs: { logs: string } }>(async (push, stop) => {
        const remove = await ctx.run(logs.listen(workspaceId, (entry) => {
          if (matchesInput(input, entry)) void push({ logicFunctionLogs: { logs: entry.logs } })
        }))
        await stop
        remove()
      }, new SlidingBuffer(100))))

export const logicFunctionResolvers = {
  Subscription: {
    logicFunctionLogs: {
      subscribe: (_: unknown, args: Args, ctx: Context) => logsOf(ctx, args.input ?? {}),
      resolve: (payload: { logicFunctionLogs: { logs: string } }) => payload.logicFunctionLogs
    }
  },
  Query: {
    findOneLogicFunction: (_: unknown, args: Args, ctx: Context) => withFunctions(ctx, (f, ws) => Effect.map(f.findOne(ws, args.input.id), dto)),
    findManyLogicFunctions: (_: unknown, _args: Args, ctx: Context) =>
      withFunctions(ctx, (f, ws) => Effect.map(f.findMany(ws), (rows) => rows.map(dto))),
    getLogicFunctionSourceCode: (_: unknown, args: Args, ctx: Context) => withFunctions(ctx, (f, ws) => f.sourceCode(ws, args.input.id)),
    // The sandbox has Bun's built-in modules only: no npm package is installed for functions.
    getAvailablePackages: (_: unknown, args: Args, ctx: Context) => withFunctions(ctx, (f, ws) => Effect.as(f.findOne(ws, args.input.id), {}))
  },
  Mutation: {
    createOneLogicFunction: (_: unknown, args: Args, ctx: Context) =>
      withFunctions(ctx, (f, ws) => Effect.map(f.create(ws, createInput(args.input)), dto)),
    updateOneLogicFunction: (_: unknown, args: Args, ctx: Context) =>
      withFunctions(ctx, (f, ws) => Effect.as(f.update(ws, args.input.id, given(args.input.update)), true)),
    deleteOneLogicFunction: (_: unknown, args: Args, ctx: Context) => withFunctions(ctx, (f, ws) => Effect.map(f.destroy(ws, args.input.id), dto)),
    executeOneLogicFunction: (_: unknown, args: Args, ctx: Context) => withFunctions(ctx, (f, ws) => f.execute(ws, args.input.id, args.input.payload))
  }
}
