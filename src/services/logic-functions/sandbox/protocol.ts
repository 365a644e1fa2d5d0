/**
 * What the worker asks a sandbox process over its stdio (@effect/rpc, newline-delimited JSON): run one
 * function's source with a payload. Every field crosses a process boundary and is decoded.
 */
import { Rpc, RpcGroup } from "@effect/rpc"
import { Schema } from "effect"

/** The function threw, did not load (syntax error), or has no handler: Twenty's `{ errorType, errorMessage, stackTrace }`. */
export class FunctionFailed extends Schema.TaggedError<FunctionFailed>()("FunctionFailed", {
  errorType: Schema.String,
  errorMessage: Schema.String,
  stackTrace: Schema.String,
  logs: Schema.String
}) {}

/** One of the function's files, its path relative to the sandbox's working directory (`src/utils.ts`). */
export const SourceFile = Schema.Struct({ path: Schema.String, content: Schema.String })
export type SourceFile = typeof SourceFile.Type

export const ExecuteRequest = Schema.Struct({
  /** Every file of the function, written under the sandbox's working directory before the handler is imported. */
  files: Schema.Array(SourceFile),
  /** The handler file among `files` (its extension decides TypeScript or JavaScript). */
  handlerPath: Schema.String,
  /** An export name, or a path into the module (`default.config.handler`, where twenty-sdk's build puts it). */
  handlerName: Schema.String,
  params: Schema.Unknown,
  /** Variables set in the function's environment (an app's TWENTY_API_URL and token); nothing else is. */
  env: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
})
export type ExecuteRequest = typeof ExecuteRequest.Type

export class SandboxRpcs extends RpcGroup.make(
  Rpc.make("Execute", {
    payload: ExecuteRequest,
    success: Schema.Struct({ data: Schema.Unknown, logs: Schema.String }),
    error: FunctionFailed
  })
) {}
