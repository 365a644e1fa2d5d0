import { Effect } from "effect"
import type { Cache } from "../../../platform/cache/index.js"
import { LogicFunctions, type LogicFunctionRow, type LogicFunctionsShape } from "../../../services/logic-functions/index.js"
import { Permissions } from "../../../services/permissions/index.js"
import type { Workspaces } from "../../../services/workspace/index.js"
import type { GraphQLContext } from "../yoga.js"
import { workspaceOf } from "./auth-resolvers.js"

export type LogicFunctionServices = LogicFunctions | Permissions | Workspaces | Cache

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

/** The inputs Score keeps; absent and null both mean "not given", except `description`, which null clears. */
const given = (input: Args) =>
  Object.fromEntries(Object.entries(input).filter(([key, value]) => EDITABLE.includes(key) && (value !== null || key === "description")))

/** Twenty's `source: { sourceHandlerCode, toolInputSchema, handlerName }` of a create, over the same top-level inputs. */
const createInput = (input: Args) => {
  const source = input.source !== null && typeof input.source === "object" ? input.source as Args : {}
  return { ...given({ ...input, ...given(source) }), name: String(input.name), id: input.id ?? null }
}

export const logicFunctionResolvers = {
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
