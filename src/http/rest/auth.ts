import { HttpServerRequest } from "@effect/platform"
import { Effect } from "effect"
import type { AuthContext } from "../../schema/auth.js"
import { Forbidden, Unauthenticated } from "../../schema/errors.js"
import { Auth } from "../../services/auth/index.js"
import { bearerToken } from "../graphql.js"

/** The REST pipeline's first steps: bearer token → verified caller bound to one workspace. */
export const restCaller = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const token = bearerToken(request.headers["authorization"])
  if (!token) return yield* new Unauthenticated({ message: "Missing authentication token" })
  const auth = yield* Effect.flatMap(Auth, (service) => service.authenticate(token))
  if (auth.kind === "workspaceAgnostic") {
    return yield* new Forbidden({ message: "This token is not bound to a workspace" })
  }
  return auth as Exclude<AuthContext, { kind: "workspaceAgnostic" }>
})
