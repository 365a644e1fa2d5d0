import { Effect } from "effect"
import type { UserWorkspace } from "../../../domain/auth.js"
import { Forbidden } from "../../../domain/errors.js"
import { Auth, subdomainOf } from "../../../services/auth/index.js"
import { TwoFactor } from "../../../services/auth/two-factor.js"
import { provisionRequired } from "../../../services/auth/two-factor-methods.js"
import { Permissions } from "../../../services/permissions/index.js"
import { Workspaces } from "../../../services/workspace/index.js"
import type { GraphQLContext } from "../yoga.js"
import { userOf } from "./auth-resolvers.js"

/** The services the two-factor resolvers run. */
export type TwoFactorServices = Auth | TwoFactor | Workspaces | Permissions

type Context = GraphQLContext<TwoFactorServices>
type Args = Record<string, any>

/** The unused login token's user and workspace; an origin naming another workspace is refused, as Twenty does. */
const loginTokenFor = (loginToken: string, origin: string | null) =>
  Effect.gen(function*() {
    const login = yield* Effect.flatMap(Auth, (auth) => auth.peekLoginToken(loginToken))
    const workspaces = yield* Workspaces
    const subdomain = subdomainOf(origin)
    const byOrigin = subdomain ? yield* workspaces.findBySubdomain(subdomain) : null
    if (byOrigin && byOrigin.id !== login.workspaceId) {
      return yield* new Forbidden({ message: "Token is not valid for this workspace", subCode: "FORBIDDEN_EXCEPTION" })
    }
    const workspace = yield* workspaces.findById(login.workspaceId)
    if (!workspace) return yield* new Forbidden({ message: "Workspace not found", subCode: "WORKSPACE_NOT_FOUND" })
    return { ...login, workspace }
  })

const tokensAfterSecondFactor = (loginToken: string) =>
  Effect.flatMap(Auth, (auth) => auth.getAuthTokensFromLoginToken(loginToken, { secondFactorProved: true })).pipe(
    Effect.map((tokens) => ({ tokens }))
  )

const requireSecurity = (auth: Awaited<ReturnType<typeof userOf>>) =>
  Effect.flatMap(Permissions, (p) => p.requireFlag(auth, "SECURITY"))

export const twoFactorResolvers = {
  UserWorkspace: {
    twoFactorAuthenticationMethodSummary: async (uw: UserWorkspace, _: Args, ctx: Context) => {
      const auth = await ctx.auth()
      if (auth.kind !== "user" || auth.userWorkspace.id !== uw.id) return null
      return ctx.run(Effect.flatMap(TwoFactor, (t) => t.summary(uw.id)))
    }
  },
  Query: {
    twoFactorAuthenticationRecoveryStatus: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await userOf(ctx)
      return ctx.run(Effect.zipRight(
        requireSecurity(auth),
        Effect.flatMap(TwoFactor, (t) => t.recoveryStatus(auth.workspace.id, args.userId))
      ))
    }
  },
  Mutation: {
    getAuthTokensFromOTP: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.gen(function*() {
        const login = yield* loginTokenFor(args.loginToken, args.origin ?? null)
        yield* Effect.flatMap(TwoFactor, (t) => t.verify(login.user.id, login.workspaceId, args.otp))
        return yield* tokensAfterSecondFactor(args.loginToken)
      })),
    initiateOTPProvisioning: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.gen(function*() {
        const login = yield* loginTokenFor(args.loginToken, args.origin ?? null)
        return { uri: yield* Effect.flatMap(TwoFactor, (t) => t.initiate(login.user, login.workspace)) }
      })),
    initiateOTPProvisioningForAuthenticatedUser: async (_: unknown, _args: Args, ctx: Context) => {
      const auth = await userOf(ctx)
      return ctx.run(Effect.map(Effect.flatMap(TwoFactor, (t) => t.initiate(auth.user, auth.workspace)), (uri) => ({ uri })))
    },
    verifyTwoFactorAuthenticationMethodForAuthenticatedUser: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await userOf(ctx)
      return ctx.run(Effect.as(Effect.flatMap(TwoFactor, (t) => t.verify(auth.user.id, auth.workspace.id, args.otp)), { success: true }))
    },
    deleteTwoFactorAuthenticationMethod: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await userOf(ctx)
      return ctx.run(Effect.as(
        Effect.flatMap(TwoFactor, (t) => t.remove(auth.user.id, auth.workspace.id, args.twoFactorAuthenticationMethodId)),
        { success: true }
      ))
    },
    generateTwoFactorAuthenticationRecoveryCode: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await userOf(ctx)
      return ctx.run(Effect.zipRight(
        requireSecurity(auth),
        Effect.flatMap(TwoFactor, (t) => t.issueRecoveryCode(auth.user.id, auth.workspace.id, args.userId, args.otp ?? null))
      ))
    },
    revokeTwoFactorAuthenticationRecoveryCode: async (_: unknown, args: Args, ctx: Context) => {
      const auth = await userOf(ctx)
      return ctx.run(Effect.zipRight(
        requireSecurity(auth),
        Effect.flatMap(TwoFactor, (t) => t.revokeRecoveryCode(auth.workspace.id, args.userId))
      ))
    },
    getAuthTokensFromTwoFactorAuthenticationRecoveryCode: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.gen(function*() {
        const login = yield* loginTokenFor(args.loginToken, args.origin ?? null)
        yield* Effect.flatMap(TwoFactor, (t) => t.redeemRecoveryCode(login.user.id, login.workspaceId, args.recoveryCode, login.id))
        // The login token stays usable to set up a new method (initiateOTPProvisioning, getAuthTokensFromOTP).
        if (login.workspace.isTwoFactorAuthenticationEnforced) return yield* provisionRequired
        return yield* tokensAfterSecondFactor(args.loginToken)
      }))
  }
}
