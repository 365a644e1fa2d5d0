import { HttpServerResponse } from "@effect/platform"
import { Cause } from "effect"
import { GraphQLError } from "graphql"
import { isDatabaseUnavailable } from "../platform/database/index.js"
import type { UserError } from "../domain/errors.js"

interface EdgeError {
  readonly code: "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND" | "BAD_USER_INPUT" | "CONFLICT" | "TOO_MANY_REQUESTS"
  readonly status: number
  readonly error: string
}

const edge: Record<UserError["_tag"], EdgeError> = {
  Unauthenticated: { code: "UNAUTHENTICATED", status: 401, error: "UnauthorizedException" },
  Forbidden: { code: "FORBIDDEN", status: 403, error: "ForbiddenException" },
  NotFound: { code: "NOT_FOUND", status: 404, error: "NotFoundException" },
  BadUserInput: { code: "BAD_USER_INPUT", status: 400, error: "BadRequestException" },
  Conflict: { code: "CONFLICT", status: 409, error: "ConflictException" },
  TooManyRequests: { code: "TOO_MANY_REQUESTS", status: 429, error: "TooManyRequestsException" },
  PayloadTooLarge: { code: "BAD_USER_INPUT", status: 413, error: "PayloadTooLargeException" }
}

const retryAfterHeader = (error: UserError): Record<string, string> =>
  error._tag === "TooManyRequests" && error.retryAfterSeconds !== undefined
    ? { "retry-after": String(error.retryAfterSeconds) }
    : {}

/**
 * GraphQL errors in Twenty's shape; UNAUTHENTICATED also sets the HTTP status to 401, TOO_MANY_REQUESTS
 * to 429 (with Retry-After when known), so clients and proxies back off; a file over its limit, 413.
 */
export const toGraphQLError = (error: UserError) => {
  const { code, status } = edge[error._tag]
  return new GraphQLError(error.message, {
    extensions: {
      code,
      ...("subCode" in error && error.subCode ? { subCode: error.subCode } : {}),
      userFriendlyMessage: error.message,
      ...(error._tag === "BadUserInput" && error.field ? { field: error.field } : {}),
      ...(status === 401 ? { http: { status } } : {}),
      ...(status === 429 ? { http: { status, headers: retryAfterHeader(error) } } : {}),
      ...(status === 413 ? { http: { status } } : {})
    }
  })
}

export const internalGraphQLError = () =>
  new GraphQLError("Internal server error", { extensions: { code: "INTERNAL_SERVER_ERROR" } })

/**
 * REST body in Twenty's shape: `{ statusCode, error, messages }`, `error` named as Twenty's Nest exceptions are
 * (send-http-exception-response.util.ts: BadRequestException, NotFoundException, ...).
 */
export const restError = (status: number, error: string, message: string) =>
  HttpServerResponse.unsafeJson({ statusCode: status, error, messages: [message] }, { status })

/** A user error's REST status, Twenty-shaped body and headers, for routes that answer web responses directly. */
export const restUserErrorBody = (e: UserError) => {
  const { status, error } = edge[e._tag]
  return { status, body: { statusCode: status, error, messages: [e.message] }, headers: retryAfterHeader(e) }
}

export const restUserError = (e: UserError) => {
  const { status, error } = edge[e._tag]
  return HttpServerResponse.setHeaders(restError(status, error, e.message), retryAfterHeader(e))
}

export const causeIsDatabaseUnavailable = (cause: Cause.Cause<unknown>) =>
  [...Cause.failures(cause), ...Cause.defects(cause)].some(isDatabaseUnavailable)

const UNAVAILABLE_MESSAGE = "Service temporarily unavailable: the database did not answer in time. Try again shortly."

export const isUnavailableGraphQLError = (error: unknown): error is GraphQLError =>
  error instanceof GraphQLError && error.extensions["code"] === "SERVICE_UNAVAILABLE"

export const unavailableGraphQLError = () =>
  new GraphQLError(UNAVAILABLE_MESSAGE, { extensions: { code: "SERVICE_UNAVAILABLE", http: { status: 503 } } })

export const unavailableGraphQLBody = () => ({
  errors: [{ message: UNAVAILABLE_MESSAGE, extensions: { code: "SERVICE_UNAVAILABLE" } }]
})

export const restUnavailableBody = () => ({ statusCode: 503, error: "ServiceUnavailableException", messages: [UNAVAILABLE_MESSAGE] })

export const restUnavailable = () => HttpServerResponse.unsafeJson(restUnavailableBody(), { status: 503 })
