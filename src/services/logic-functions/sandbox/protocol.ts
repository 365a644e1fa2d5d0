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

export const ExecuteRequest = Schema.Struct({
  /** The handler file's name inside the sandbox's working directory (`index.ts`, `index.mjs`). */
  fileName: Schema.String,
  source: Schema.String,
  handlerName: Schema.String,
  params: Schema.Unknown
})
export type ExecuteRequest = typeof ExecuteRequest.Type

export class SandboxRpcs extends RpcGroup.make(
  Rpc.make("Execute", {
    payload: ExecuteRequest,
    success: Schema.Struct({ data: Schema.Unknown, logs: Schema.String }),
    error: FunctionFailed
  })
) {}
