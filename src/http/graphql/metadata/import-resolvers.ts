import { Effect } from "effect"
import { BadUserInput } from "../../../domain/errors.js"
import type { Cache } from "../../../platform/cache/index.js"
import { Imports } from "../../../services/imports/index.js"
import type { ImportRun } from "../../../services/imports/service.js"
import type { Metadata } from "../../../services/metadata/index.js"
import type { Permissions } from "../../../services/permissions/index.js"
import { scopeOf } from "../../../services/records/actor.js"
import type { Records } from "../../../services/records/index.js"
import type { Workspaces } from "../../../services/workspace/index.js"
import type { GraphQLContext } from "../yoga.js"
import { workspaceOf } from "./auth-resolvers.js"

/** What these resolvers run: imports, and the caller's records scope (its role) as any records write. */
export type ImportServices = Imports | Records | Metadata | Permissions | Cache | Workspaces

type Context = GraphQLContext<ImportServices>
type Args = Record<string, any>

const asGraphQL = (run: ImportRun) => ({ ...run, format: run.format.toUpperCase() })

const isMapping = (value: unknown): value is Record<string, string | null> =>
  typeof value === "object" && value !== null && !Array.isArray(value) &&
  Object.values(value).every((v) => v === null || typeof v === "string")

export const importResolvers = {
  Query: {
    recordImport: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      return ctx.run(Effect.gen(function*() {
        yield* scopeOf(auth)
        return asGraphQL(yield* Effect.flatMap(Imports, (imports) => imports.get(auth.workspace.id, args.id, args.errorsLimit ?? 100)))
      }))
    }
  },
  Mutation: {
    createRecordImport: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await workspaceOf(ctx)
      const input = args.input
      return ctx.run(Effect.gen(function*() {
        if (input.mapping != null && !isMapping(input.mapping)) {
          return yield* new BadUserInput({ message: "mapping must be an object of column → field path (or null to skip)", field: "mapping" })
        }
        const scope = yield* scopeOf(auth)
        const imports = yield* Imports
        const run = yield* imports.start(scope, input.objectNameSingular, {
          format: input.format === "CSV" ? "csv" : "jsonl",
          body: [new TextEncoder().encode(input.content)],
          mapping: input.mapping ?? undefined,
          emitEvents: input.emitEvents ?? true
        }).pipe(Effect.catchTag("QueueUnavailable", (e) => Effect.die(e)))
        return asGraphQL(run)
      }))
    }
  }
}
