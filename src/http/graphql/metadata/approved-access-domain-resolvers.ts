import { Effect } from "effect"
import type { AuthContext } from "../../../domain/auth.js"
import { Forbidden } from "../../../domain/errors.js"
import { ApprovedAccessDomains } from "../../../services/members/approved-access-domains.js"
import { Permissions } from "../../../services/permissions/index.js"
import type { GraphQLContext } from "../yoga.js"
import { workspaceOf } from "./auth-resolvers.js"

/** The services approved-access-domain resolvers run. */
export type ApprovedAccessDomainServices = ApprovedAccessDomains | Permissions

type Context = GraphQLContext<ApprovedAccessDomainServices>
type Args = Record<string, any>
type Caller = Exclude<AuthContext, { kind: "workspaceAgnostic" }>

/** Twenty guards the whole resolver with SettingsPermissionGuard(WORKSPACE_MEMBERS). */
const withDomains = async <A>(
  ctx: Context,
  run: (domains: Effect.Effect.Success<typeof ApprovedAccessDomains>, caller: Caller) => Effect.Effect<A, any, ApprovedAccessDomainServices>
) => {
  const caller = await workspaceOf(ctx)
  return ctx.run(Effect.gen(function*() {
    yield* Effect.flatMap(Permissions, (p) => p.requireFlag(caller, "WORKSPACE_MEMBERS"))
    return yield* run(yield* ApprovedAccessDomains, caller)
  }))
}

export const approvedAccessDomainResolvers = {
  Query: {
    getApprovedAccessDomains: (_: unknown, _args: Args, ctx: Context) =>
      withDomains(ctx, (domains, caller) => domains.list(caller.workspace.id))
  },
  Mutation: {
    // The validation mail is signed by a member (Twenty's AuthUser): an API key cannot send one.
    createApprovedAccessDomain: (_: unknown, args: Args, ctx: Context) =>
      withDomains(ctx, (domains, caller) =>
        caller.kind === "user"
          ? domains.create(caller.workspace, caller.user, args.input)
          : Effect.fail(new Forbidden({ message: "This action needs a user session", subCode: "PERMISSION_DENIED" }))),
    deleteApprovedAccessDomain: (_: unknown, args: Args, ctx: Context) =>
      withDomains(ctx, (domains, caller) => Effect.as(domains.remove(caller.workspace.id, args.input.id), true)),
    validateApprovedAccessDomain: (_: unknown, args: Args, ctx: Context) =>
      withDomains(ctx, (domains, caller) => domains.validate(caller.workspace.id, args.input))
  }
}
