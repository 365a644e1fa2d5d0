import { Effect } from "effect"
import type { User } from "../../../domain/auth.js"
import { NotFound, TooManyRequests } from "../../../domain/errors.js"
import { AppConfig } from "../../../platform/config.js"
import { Auth, subdomainOf } from "../../../services/auth/index.js"
import { EmailVerification } from "../../../services/auth/email-verification.js"
import { PasswordReset } from "../../../services/auth/password-reset.js"
import { Workspaces } from "../../../services/workspace/index.js"
import type { GraphQLContext } from "../yoga.js"
import { signInResult, workspaceUrls } from "./auth-resolvers.js"

/** The services password reset and email verification resolvers run. */
export type PasswordServices = AppConfig | Auth | PasswordReset | EmailVerification | Workspaces

type Context = GraphQLContext<PasswordServices>
type Args = Record<string, any>

/** The workspace of the origin's subdomain if the user belongs to it, else their default or first one. */
const workspaceForLogin = (user: User, origin: string | null) =>
  Effect.gen(function*() {
    const workspaces = yield* Workspaces
    const subdomain = subdomainOf(origin)
    const bySubdomain = subdomain ? yield* workspaces.findBySubdomain(subdomain) : null
    if (bySubdomain && (yield* workspaces.membership(user.id, bySubdomain.id))) return bySubdomain
    const list = yield* workspaces.listForUser(user.id)
    const found = list.find((w) => w.id === user.defaultWorkspaceId) ?? list[0]
    return found ?? (yield* new NotFound({ message: "User has no workspace" }))
  })

const verify = (args: Args) => Effect.flatMap(EmailVerification, (v) => v.verify(args.emailVerificationToken, args.email))

export const passwordResolvers = {
  Query: {
    validatePasswordResetToken: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.flatMap(PasswordReset, (p) => p.validatePasswordResetToken(args.passwordResetToken)))
  },
  Mutation: {
    emailPasswordResetLink: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.flatMap(PasswordReset, (p) => p.emailPasswordResetLink(args.email, args.workspaceId ?? null)).pipe(
        Effect.as({ success: true })
      )),
    updatePasswordViaResetToken: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.flatMap(PasswordReset, (p) => p.updatePasswordViaResetToken(args.passwordResetToken, args.newPassword)).pipe(
        Effect.as({ success: true })
      )),
    resendEmailVerificationToken: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.flatMap(EmailVerification, (v) => v.resend(args.email, args.origin ?? null)).pipe(
        Effect.catchTag("QueueUnavailable", () =>
          Effect.fail(new TooManyRequests({ message: "The verification email could not be queued, retry in a moment" }))),
        Effect.as({ success: true })
      )),
    verifyEmailAndGetLoginToken: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.gen(function*() {
        const user = yield* verify(args)
        const workspace = yield* workspaceForLogin(user, args.origin ?? null)
        const loginToken = yield* Effect.flatMap(Auth, (auth) => auth.issueLoginToken(user, workspace.id))
        return { loginToken, workspaceUrls: yield* workspaceUrls(workspace) }
      })),
    verifyEmailAndGetWorkspaceAgnosticToken: (_: unknown, args: Args, ctx: Context) =>
      ctx.run(Effect.flatMap(verify(args), (user) => Effect.flatMap(Auth, (auth) => auth.signInUser(user))).pipe(
        Effect.flatMap(signInResult)
      ))
  }
}
