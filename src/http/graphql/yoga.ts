import type { SqlError } from "@effect/sql"
import { HttpServerResponse } from "@effect/platform"
import { Cause, Effect, Exit, Option, Runtime } from "effect"
import { GraphQLError } from "graphql"
import type { Plugin } from "graphql-yoga"
import type { AuthContext } from "../../domain/auth.js"
import { isUserError, Unauthenticated, type UserError } from "../../domain/errors.js"
import { causeIsDatabaseUnavailable, internalGraphQLError, toGraphQLError, unavailableGraphQLError } from "../errors.js"
import { noteOperation } from "../metrics.js"

/** What every resolver receives: how to run a service Effect, and the caller (resolved lazily). */
export interface GraphQLContext<R> {
  readonly run: <A>(effect: Effect.Effect<A, UserError | SqlError.SqlError, R>) => Promise<A>
  /** Fails UNAUTHENTICATED when the request carried no usable token. */
  readonly auth: () => Promise<AuthContext>
  readonly origin: string | null
  /** The peer's address when the request came over a socket (see client-address.ts). */
  readonly clientAddress: string | null
}

export const makeRun = <R>(runtime: Runtime.Runtime<R>) => {
  const runExit = Runtime.runPromiseExit(runtime)
  return <A>(effect: Effect.Effect<A, UserError | SqlError.SqlError, R>): Promise<A> =>
    runExit(effect).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      const failure = Cause.failureOption(exit.cause)
      if (Option.isSome(failure) && isUserError(failure.value)) throw toGraphQLError(failure.value)
      if (Cause.isInterruptedOnly(exit.cause)) throw internalGraphQLError()
      if (causeIsDatabaseUnavailable(exit.cause)) {
        Runtime.runFork(runtime)(Effect.logWarning("Database unavailable", Cause.squash(exit.cause)))
        throw unavailableGraphQLError()
      }
      Runtime.runFork(runtime)(Effect.logError("GraphQL resolver failed", exit.cause))
      throw internalGraphQLError()
    })
}

/** Resolves the caller at most once per request, and only if a resolver asks. */
export const lazyAuth = (
  token: string | null,
  authenticate: (token: string) => Promise<AuthContext>
): (() => Promise<AuthContext>) => {
  let pending: Promise<AuthContext> | undefined
  return () => {
    if (!token) {
      return Promise.reject(toGraphQLError(new Unauthenticated({ message: "Missing authentication token" })))
    }
    pending ??= authenticate(token)
    return pending
  }
}

export const withCode = (error: GraphQLError) =>
  error.extensions?.["code"] !== undefined
    ? error
    : new GraphQLError(error.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      originalError: error.originalError,
      extensions: { ...error.extensions, code: "BAD_USER_INPUT" }
    })

/** Errors graphql-js raises itself while executing (bad variables, argument types) are BAD_USER_INPUT. */
/** Labels the request's metrics with the operation name its parameters give (metrics.ts bounds the names). */
export const useOperationLabel: Plugin = {
  onParams({ params, request }) {
    noteOperation(request, params.operationName)
  }
}

export const useInputErrorCodes: Plugin = {
  onExecute: () => ({
    onExecuteDone: ({ result, setResult }) => {
      if (Symbol.asyncIterator in result || !result.errors?.length) return
      if (result.errors.every((e) => e.extensions?.["code"] !== undefined)) return
      setResult({ ...result, errors: result.errors.map(withCode) })
    }
  })
}

/** Anything thrown that is not a GraphQLError is a bug: masked as INTERNAL_SERVER_ERROR. */
export const maskError = (error: unknown): Error => {
  if (error instanceof GraphQLError) {
    const original = error.originalError
    return original && !(original instanceof GraphQLError) ? internalGraphQLError() : error
  }
  return internalGraphQLError()
}

/**
 * A web Response (from yoga) as an Effect response with its body read once: GraphQL answers are small
 * JSON, and streaming them through Effect's Stream costs more than the request itself.
 */
export const bufferedResponse = async (response: Response) =>
  HttpServerResponse.text(await response.text(), {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    contentType: response.headers.get("content-type") ?? "application/json"
  })
