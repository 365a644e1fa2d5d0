import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { AppConfig } from "../platform/config.js"
import { clientAddressOf } from "./client-address.js"
import { type SignInTarget, type SocialProvider, Sso } from "../services/auth/sso.js"
import { restError } from "./errors.js"

/** Binds a pending OAuth sign-in to the browser that started it; read back by the callback. */
const STATE_COOKIE = "score_oauth_state"

const searchOf = (request: HttpServerRequest.HttpServerRequest) => new URL(request.url, "http://localhost").searchParams

const cookieOptions = Effect.map(AppConfig, (config) => ({
  path: "/auth",
  httpOnly: true,
  sameSite: "lax" as const,
  secure: config.serverUrl.protocol === "https:"
}))

const start = (target: (request: HttpServerRequest.HttpServerRequest, params: Readonly<Record<string, string | undefined>>) => SignInTarget) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const sso = yield* Sso
    const params = yield* HttpRouter.params
    const config = yield* AppConfig
    const options = yield* cookieOptions
    return yield* sso.startSignIn(target(request, params)).pipe(
      Effect.map(({ url, state }) =>
        HttpServerResponse.unsafeSetCookie(HttpServerResponse.redirect(url), STATE_COOKIE, state, {
          ...options,
          maxAge: config.oauthSignInTtl
        })),
      Effect.catchTag("OAuthAccessDenied", (denied) => Effect.succeed(HttpServerResponse.redirect(sso.refusalUrl(denied.message))))
    )
  })

const finish = (kind: SignInTarget["kind"]) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const sso = yield* Sso
    const options = yield* cookieOptions
    const clientAddress = request.source instanceof Request ? clientAddressOf(request.source) : null
    const location = yield* sso.finishSignIn(kind, searchOf(request), request.cookies[STATE_COOKIE] ?? null, clientAddress)
    return HttpServerResponse.expireCookie(HttpServerResponse.redirect(location), STATE_COOKIE, options)
  })

/** Twenty's guard for a social provider switched off by configuration. */
const whenEnabled = <E, R>(provider: SocialProvider, route: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.flatMap(Sso, (sso) =>
    sso.isEnabled(provider)
      ? route
      : Effect.succeed(restError(403, "ForbiddenException", `${provider === "google" ? "Google" : "Microsoft"} auth is not enabled`)))

const social = (provider: SocialProvider) => (request: HttpServerRequest.HttpServerRequest): SignInTarget => ({
  kind: provider,
  workspaceId: searchOf(request).get("workspaceId"),
  workspaceInviteHash: searchOf(request).get("workspaceInviteHash")
})

/** Twenty's sign-in routes: OIDC per workspace, Google and Microsoft, each ending in the login-token redirect. */
export const ssoRoutes = HttpRouter.empty.pipe(
  HttpRouter.get("/auth/oidc/login/:identityProviderId", start((request, params) => ({
    kind: "oidc",
    identityProviderId: params.identityProviderId ?? "",
    workspaceInviteHash: searchOf(request).get("workspaceInviteHash")
  }))),
  HttpRouter.get("/auth/oidc/callback", finish("oidc")),
  HttpRouter.get("/auth/google", whenEnabled("google", start(social("google")))),
  HttpRouter.get("/auth/google/redirect", whenEnabled("google", finish("google"))),
  HttpRouter.get("/auth/microsoft", whenEnabled("microsoft", start(social("microsoft")))),
  HttpRouter.get("/auth/microsoft/redirect", whenEnabled("microsoft", finish("microsoft")))
)
