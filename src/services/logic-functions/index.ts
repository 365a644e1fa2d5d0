/**
 * Twenty's logic functions (metadata-modules/logic-function): per-workspace functions with TypeScript or
 * JavaScript source (`export const main = async (params) => …`), edited and run through /metadata and by
 * workflow CODE steps. Execution is out of process, in the sandbox pool (sandbox/pool.ts).
 */
import type { SqlError } from "@effect/sql"
import { SqlClient } from "@effect/sql"
import { Context, Duration, Effect, Either, Layer, Schema } from "effect"
import { BadUserInput, Conflict, NotFound } from "../../domain/errors.js"
import { AppConfig } from "../../platform/config.js"
import { FunctionLogs } from "./logs.js"
import { LogicFunctionSandbox } from "./sandbox/pool.js"
import { defaultSources, fileAt, MAX_SOURCES_BYTES, sandboxFiles, Sources, withFile } from "./sources.js"
import { routeMatches } from "./routes.js"
import { checkTriggerSettings, cronTick, runTriggered, startFunctionsForEvent, type TriggeredRun } from "./triggers.js"
import type { RecordEvent } from "../../domain/events.js"
import { JobQueue, type QueueUnavailable } from "../../platform/queue/index.js"
import { deleteFunction, findFunction, insertFunction, listFunctions, listRouteFunctions, type LogicFunctionFields, type LogicFunctionRow, updateFunction } from "./store.js"

export type { LogicFunctionRow } from "./store.js"

export type LogicFunctionsFailure = BadUserInput | Conflict | NotFound | SqlError.SqlError

/** Twenty's LogicFunctionExecutionResult. */
export interface ExecutionResult {
  readonly data: unknown
  readonly logs: string
  readonly duration: number
  readonly status: "SUCCESS" | "ERROR"
  readonly error?: { readonly errorType: string; readonly errorMessage: string; readonly stackTrace: string }
}

export interface LogicFunctionsShape {
  readonly findMany: (workspaceId: string) => Effect.Effect<ReadonlyArray<LogicFunctionRow>, LogicFunctionsFailure>
  readonly findOne: (workspaceId: string, id: string) => Effect.Effect<LogicFunctionRow, LogicFunctionsFailure>
  /** Twenty's create "from source": `sourceHandlerCode` is the handler file's content (else a default source). */
  readonly create: (
    workspaceId: string,
    input: LogicFunctionFields & { readonly name: string; readonly id?: string | null; readonly sourceHandlerCode?: string | null }
  ) => Effect.Effect<LogicFunctionRow, LogicFunctionsFailure>
  readonly update: (workspaceId: string, id: string, update: LogicFunctionFields & { readonly sourceHandlerCode?: string | null }) => Effect.Effect<LogicFunctionRow, LogicFunctionsFailure>
  readonly destroy: (workspaceId: string, id: string) => Effect.Effect<LogicFunctionRow, LogicFunctionsFailure>
  /** The handler file's content. */
  readonly sourceCode: (workspaceId: string, id: string) => Effect.Effect<string | null, LogicFunctionsFailure>
  readonly execute: (workspaceId: string, id: string, payload: unknown) => Effect.Effect<ExecutionResult, NotFound | SqlError.SqlError>
  /** The functions whose HTTP route trigger answers `method` `path` (`/s/<path>`), of one workspace or of any. */
  readonly forRoute: (workspaceId: string | null, method: string, path: string) => Effect.Effect<ReturnType<typeof routeMatches>, SqlError.SqlError>
  /** Enqueues the runs of the functions whose database-event trigger matches the event (triggers.ts). */
  readonly startForEvent: (event: RecordEvent) => Effect.Effect<void, SqlError.SqlError | QueueUnavailable>
  /** Enqueues the runs of the minute's cron triggers; sweeps old runs. */
  readonly cronTick: (now: Date) => Effect.Effect<void, SqlError.SqlError | QueueUnavailable>
  /** Runs one triggered execution once, recorded in core."logicFunctionRun"; null when it was run already or its function is gone. */
  readonly runTriggered: (run: TriggeredRun) => Effect.Effect<ExecutionResult | null, SqlError.SqlError>
}

export class LogicFunctions extends Context.Tag("score/LogicFunctions")<LogicFunctions, LogicFunctionsShape>() {}

/**
 * The environment a function's execution gets beyond nothing: an app's function gets TWENTY_API_URL and a
 * token scoped to its app's role (services/applications/tokens.ts). Optional: without it, none.
 */
export class FunctionEnvironment extends Context.Tag("score/FunctionEnvironment")<
  FunctionEnvironment,
  { readonly of: (fn: LogicFunctionRow) => Effect.Effect<Record<string, string>> }
>() {}

/**
 * The installed npm dependencies a function's imports resolve from (an app's, services/applications/
 * dependencies.ts): a directory holding node_modules, or null. Optional: without it, none.
 */
export class FunctionDependencies extends Context.Tag("score/FunctionDependencies")<
  FunctionDependencies,
  { readonly of: (fn: LogicFunctionRow) => Effect.Effect<string | null, BadUserInput> }
>() {}

const notFound = () => new NotFound({ message: "Logic function not found", subCode: "LOGIC_FUNCTION_NOT_FOUND" })
const invalid = (message: string, field?: string) => new BadUserInput({ message, ...(field ? { field } : {}) })

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** An id that is not a UUID names no function (rather than failing the SQL cast). */
const checkedId = (id: string) => (UUID.test(id) ? Effect.succeed(id) : Effect.fail(notFound()))

const decodeSources = (code: unknown) =>
  Schema.decodeUnknown(Sources)(code).pipe(
    Effect.mapError(() => invalid("Source code must be an object of file paths to file contents", "code")),
    Effect.filterOrFail((sources) => JSON.stringify(sources).length <= MAX_SOURCES_BYTES, () => invalid(`Source code is larger than ${MAX_SOURCES_BYTES} bytes`, "code"))
  )

/** Twenty's checks on the editable properties (name not blank, timeout 1…900 s, paths and handler named). */
const checkFields = (fields: LogicFunctionFields) =>
  Effect.gen(function*() {
    if (fields.name !== undefined && fields.name.trim() === "") return yield* invalid("Name cannot be empty", "name")
    const timeout = fields.timeoutSeconds
    if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > 900)) {
      return yield* invalid("timeoutSeconds must be an integer from 1 to 900", "timeoutSeconds")
    }
    for (const key of ["handlerName", "sourceHandlerPath", "builtHandlerPath"] as const) {
      if (fields[key] !== undefined && fields[key].trim() === "") return yield* invalid(`${key} cannot be empty`, key)
    }
    if (fields.handlerName !== undefined && !/^[A-Za-z_$][\w$]*$/.test(fields.handlerName)) return yield* invalid("handlerName must be an identifier", "handlerName")
    yield* checkTriggerSettings(fields)
    return fields
  })

export const LogicFunctionsLive = Layer.effect(
  LogicFunctions,
  Effect.gen(function*() {
    const config = yield* AppConfig
    const sandbox = yield* LogicFunctionSandbox
    const sql = yield* SqlClient.SqlClient
    const jobs = yield* JobQueue
    const logs = yield* FunctionLogs
    const environment = yield* Effect.serviceOption(FunctionEnvironment)
    const envOf = (fn: LogicFunctionRow) =>
      environment._tag === "Some" && fn.applicationId !== null ? environment.value.of(fn) : Effect.succeed(undefined)
    const dependencies = yield* Effect.serviceOption(FunctionDependencies)
    const dependenciesOf = (fn: LogicFunctionRow) =>
      dependencies._tag === "Some" && fn.applicationId !== null ? Effect.either(dependencies.value.of(fn)) : Effect.succeed(Either.right(null))
    const provided = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient>) => Effect.provideService(effect, SqlClient.SqlClient, sql)
    const existing = (workspaceId: string, id: string) =>
      Effect.flatMap(checkedId(id), () =>
        provided(Effect.flatMap(findFunction(workspaceId, id), (row) => (row ? Effect.succeed(row) : Effect.fail(notFound())))))
    const maxWallClock = Duration.toMillis(config.logicFunctionTimeout)

    /** Every execution's logs go to the `logicFunctionLogs` subscribers of its workspace (Twenty's channel). */
    const publishLogs = (fn: LogicFunctionRow, result: ExecutionResult) =>
      Effect.gen(function*() {
        const app = fn.applicationId
          ? (yield* sql<{ universalIdentifier: string }>`SELECT "universalIdentifier" FROM core.application WHERE id = ${fn.applicationId}`)[0] ?? null
          : null
        yield* logs.publish({
          workspaceId: fn.workspaceId,
          id: fn.id,
          name: fn.name,
          universalIdentifier: fn.universalIdentifier,
          applicationId: fn.applicationId,
          applicationUniversalIdentifier: app?.universalIdentifier ?? null,
          logs: result.logs
        })
      }).pipe(Effect.catchAll((e) => Effect.logWarning("logic function logs not published", e)))

    const execute = (workspaceId: string, id: string, payload: unknown) =>
      Effect.gen(function*() {
        const fn = yield* existing(workspaceId, id)
        const started = performance.now()
        const sources = yield* Effect.orElseSucceed(Schema.decodeUnknown(Sources)(fn.sources), () => ({}))
        const prepared = sandboxFiles(sources, fn.sourceHandlerPath)
        const refused = (errorType: string, errorMessage: string) => ({ _tag: "Left" as const, left: { errorType, errorMessage, stackTrace: "", logs: "" } })
        const installed = yield* dependenciesOf(fn)
        const outcome = Either.isLeft(installed)
          ? refused("DependenciesNotInstalled", installed.left.message)
          : prepared === null
          ? refused("HandlerNotFound", `File ${fn.sourceHandlerPath} is not in the function's sources`)
          : prepared.outside !== null
          ? refused("InvalidSourcePath", `File path ${prepared.outside} is outside the function's directory`)
          : yield* Effect.either(sandbox.execute(
            { files: prepared.files, handlerPath: prepared.handlerPath, handlerName: fn.handlerName, params: payload ?? {}, env: yield* envOf(fn) },
            Duration.millis(Math.min(fn.timeoutSeconds * 1000, maxWallClock)),
            installed.right
          ))
        const duration = Math.round(performance.now() - started)
        const result: ExecutionResult = outcome._tag === "Right"
          ? { data: outcome.right.data, logs: outcome.right.logs, duration, status: "SUCCESS" }
          : {
            data: null,
            logs: outcome.left.logs,
            duration,
            status: "ERROR",
            error: { errorType: outcome.left.errorType, errorMessage: outcome.left.errorMessage, stackTrace: outcome.left.stackTrace }
          }
        yield* publishLogs(fn, result)
        return result
      }).pipe(Effect.withSpan("LogicFunctions.execute", { attributes: { id } }))

    return {
      findMany: (workspaceId) => provided(listFunctions(workspaceId)),
      findOne: existing,
      create: (workspaceId, { id, sourceHandlerCode, ...input }) =>
        Effect.gen(function*() {
          yield* checkFields(input)
          if (id && !UUID.test(id)) return yield* invalid("id must be a UUID", "id")
          const handlerName = input.handlerName ?? "main"
          const sourceHandlerPath = input.sourceHandlerPath ?? "src/index.ts"
          const sources = typeof sourceHandlerCode === "string"
            ? yield* decodeSources({ [sourceHandlerPath]: sourceHandlerCode })
            : input.sources === undefined
            ? defaultSources(sourceHandlerPath, handlerName)
            : yield* decodeSources(input.sources)
          if (id && (yield* provided(findFunction(workspaceId, id)))) return yield* new Conflict({ message: "Logic function already exists" })
          return yield* provided(insertFunction(workspaceId, id ?? crypto.randomUUID(), { ...input, name: input.name.trim(), handlerName, sourceHandlerPath, sources }))
        }),
      update: (workspaceId, id, { sourceHandlerCode, sources: _whole, ...fields }) =>
        Effect.gen(function*() {
          yield* checkFields(fields)
          const current = yield* existing(workspaceId, id)
          const path = fields.sourceHandlerPath ?? current.sourceHandlerPath
          const sources = typeof sourceHandlerCode === "string"
            ? yield* decodeSources(withFile(Schema.is(Sources)(current.sources) ? current.sources : {}, path, sourceHandlerCode))
            : undefined
          const row = yield* provided(updateFunction(workspaceId, id, { ...fields, ...(sources ? { sources } : {}) }))
          return row ?? (yield* notFound())
        }),
      destroy: (workspaceId, id) =>
        Effect.flatMap(checkedId(id), () =>
          Effect.flatMap(provided(deleteFunction(workspaceId, id)), (row) => (row ? Effect.succeed(row) : Effect.fail(notFound())))),
      sourceCode: (workspaceId, id) =>
        Effect.map(existing(workspaceId, id), (fn) => fileAt(Schema.is(Sources)(fn.sources) ? fn.sources : {}, fn.sourceHandlerPath)),
      execute,
      forRoute: (workspaceId, method, path) => Effect.map(provided(listRouteFunctions(workspaceId, method.toUpperCase())), (rows) => routeMatches(rows, path)),
      startForEvent: (event) => startFunctionsForEvent(event).pipe(Effect.provideService(JobQueue, jobs), provided),
      cronTick: (now) => cronTick(now).pipe(Effect.provideService(JobQueue, jobs), provided),
      runTriggered: (run) =>
        provided(runTriggered(run, (workspaceId, id, payload) => Effect.catchTag(execute(workspaceId, id, payload), "NotFound", () => Effect.succeed(null))))
    }
  })
)
