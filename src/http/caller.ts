import { HttpServerRequest } from "@effect/platform"
import { Effect } from "effect"
import { Forbidden, Unauthenticated } from "../domain/errors.js"
import { Auth } from "../services/auth/index.js"
import type { WorkspaceCaller } from "../services/auth/permissions.js"

/** Who calls, for every door (/graphql, /metadata, /rest): the bearer token and the verified caller it names. */

export const bearerToken = (authorization: string | null | undefined) => {
  if (!authorization) return null
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
  return match ? match[1]! : null
}

/** A bearer token → the verified caller bound to one workspace (401 without a token, FORBIDDEN if agnostic). */
export const workspaceCaller = (token: string | null) =>
  token
    ? Effect.flatMap(Auth, (auth) => auth.authenticate(token)).pipe(
      Effect.filterOrFail(
        (caller): caller is WorkspaceCaller => caller.kind !== "workspaceAgnostic",
        () => new Forbidden({ message: "This token is not bound to a workspace" })
      )
    )
    : Effect.fail(new Unauthenticated({ message: "Missing authentication token" }))

/** The REST pipeline's first steps: the request's bearer token → verified caller bound to one workspace. */
export const restCaller = Effect.flatMap(
  HttpServerRequest.HttpServerRequest,
  (request) => workspaceCaller(bearerToken(request.headers["authorization"]))
)
