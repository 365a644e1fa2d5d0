import { Schema } from "effect"

/** The caller is not (or no longer) who the token says. GraphQL UNAUTHENTICATED, HTTP 401. */
export class Unauthenticated extends Schema.TaggedError<Unauthenticated>()("Unauthenticated", {
  message: Schema.String,
  subCode: Schema.optional(Schema.String)
}) {}

/** The caller is known but may not do this. GraphQL FORBIDDEN, HTTP 403. */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  message: Schema.String,
  subCode: Schema.optional(Schema.String)
}) {}

/** GraphQL NOT_FOUND, HTTP 404. */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  message: Schema.String,
  subCode: Schema.optional(Schema.String)
}) {}

/** Input that cannot be accepted; `field` names the culprit when there is one. GraphQL BAD_USER_INPUT, HTTP 400. */
export class BadUserInput extends Schema.TaggedError<BadUserInput>()("BadUserInput", {
  message: Schema.String,
  field: Schema.optional(Schema.String),
  subCode: Schema.optional(Schema.String)
}) {}

/** A uniqueness rule would be broken (e.g. the email already has an account). GraphQL BAD_USER_INPUT, HTTP 409. */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", {
  message: Schema.String
}) {}

/** Refused for load, not for what was asked: retry later. GraphQL TOO_MANY_REQUESTS, HTTP 429. */
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()("TooManyRequests", {
  message: Schema.String,
  /** Sent as Retry-After when known. */
  retryAfterSeconds: Schema.optional(Schema.Number)
}) {}

/** An OAuth / OIDC sign-in refused (Twenty's OAUTH_ACCESS_DENIED): answered by a redirect carrying the message. */
export class OAuthAccessDenied extends Schema.TaggedError<OAuthAccessDenied>()("OAuthAccessDenied", {
  message: Schema.String
}) {}

/** A body or file over its size limit. GraphQL BAD_USER_INPUT, HTTP 413. */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", {
  message: Schema.String
}) {}

export type UserError = Unauthenticated | Forbidden | NotFound | BadUserInput | Conflict | TooManyRequests | PayloadTooLarge

export const isUserError = (u: unknown): u is UserError =>
  typeof u === "object" && u !== null && "_tag" in u &&
  ["Unauthenticated", "Forbidden", "NotFound", "BadUserInput", "Conflict", "TooManyRequests", "PayloadTooLarge"].includes((u as { _tag: string })._tag)

/** Another Score process already serves the embedded database in this DATA_DIR. */
export class DataDirInUse extends Schema.TaggedError<DataDirInUse>()("DataDirInUse", {
  message: Schema.String
}) {}
