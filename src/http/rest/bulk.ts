import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { BadUserInput } from "../../domain/errors.js"
import { Imports } from "../../services/imports/index.js"
import { type ImportFormat, type ImportMapping, UploadTimedOut } from "../../services/imports/parse.js"
import { csvColumns, csvHeader, type ExportFormat, exportText } from "../../services/records/export.js"
import { Records } from "../../services/records/index.js"
import { restCaller } from "../caller.js"
import { UploadTooLarge } from "../body-limit.js"
import { restError } from "../errors.js"
import { scopeOf } from "../../services/records/actor.js"
import { flatten } from "./selection.js"
import { answerSelection, asUserError, json, listArgs, parsing, queryParams, target } from "./records.js"

/*
 * Bulk routes in Twenty's REST style (Twenty has no server-side bulk API): POST /rest/{plural}/import (an
 * upload, answered 202 with the queued run), GET /rest/imports/{id} (its progress and refused rows) and
 * GET /rest/{plural}/export (the filtered, ordered list streamed as CSV or JSON lines).
 */

const FORMATS: Readonly<Record<string, ImportFormat>> = {
  csv: "csv",
  jsonl: "jsonl",
  ndjson: "jsonl",
  "text/csv": "csv",
  "application/x-ndjson": "jsonl",
  "application/jsonl": "jsonl",
  "application/x-jsonlines": "jsonl"
}

const formatOf = (raw: string | null, contentType: string | undefined): ImportFormat => {
  const named = raw ?? contentType?.split(";")[0]?.trim().toLowerCase() ?? "csv"
  const format = FORMATS[named]
  if (!format) throw new BadUserInput({ message: `format '${named}' is invalid. Use csv or jsonl`, field: "format" })
  return format
}

const mappingOf = (raw: string | null): ImportMapping | undefined => {
  if (raw === null || raw.trim() === "") return undefined
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    throw new BadUserInput({ message: "mapping must be a JSON object of column → field path", field: "mapping" })
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) ||
    Object.values(value).some((v) => v !== null && typeof v !== "string")) {
    throw new BadUserInput({ message: "mapping must be a JSON object of column → field path (or null to skip)", field: "mapping" })
  }
  return value as ImportMapping
}

const booleanOf = (raw: string | null, name: string, fallback: boolean) => {
  if (raw === null || raw === "") return fallback
  if (raw === "true" || raw === "false") return raw === "true"
  throw new BadUserInput({ message: `${name} must be true or false`, field: name })
}

const startImport = Effect.gen(function*() {
  const { scope, object } = yield* target
  const params = yield* queryParams
  const request = yield* HttpServerRequest.HttpServerRequest
  const input = yield* parsing(() => ({
    format: formatOf(params.get("format"), request.headers["content-type"]),
    mapping: mappingOf(params.get("mapping")),
    emitEvents: booleanOf(params.get("emit_events"), "emit_events", true)
  }))
  const web = request.source instanceof Request ? request.source : yield* HttpServerRequest.toWeb(request)
  if (web.body === null) return yield* new BadUserInput({ message: "The upload is empty" })
  const imports = yield* Imports
  const declared = web.headers.get("content-length")
  const length = declared === null ? undefined : Number(declared)
  return yield* imports.start(scope, object.nameSingular, { ...input, body: web.body, signal: web.signal, length }).pipe(
    Effect.map((run) => json({ data: { import: run } }, 202)),
    Effect.catchIf(
      (e) => e._tag === "SqlError" && e.cause instanceof UploadTooLarge,
      (e) => Effect.succeed(restError(413, "PayloadTooLargeException", String((e.cause as Error).message)))
    ),
    Effect.catchIf(
      (e) => e._tag === "SqlError" && e.cause instanceof UploadTimedOut,
      (e) => Effect.succeed(restError(408, "RequestTimeoutException", `The upload timed out: ${(e.cause as Error).message}`).pipe(
        HttpServerResponse.setHeader("connection", "close")))
    )
  )
})

const importStatus = Effect.gen(function*() {
  const caller = yield* restCaller
  const { id } = yield* HttpRouter.params
  const params = yield* queryParams
  const limit = Number(params.get("errors_limit") ?? 100)
  if (!Number.isInteger(limit) || limit < 0) return yield* new BadUserInput({ message: "errors_limit must be an integer ≥ 0", field: "errors_limit" })
  yield* scopeOf(caller)
  const run = yield* Effect.flatMap(Imports, (imports) => imports.get(caller.workspace.id, id ?? "", limit))
  return json({ data: { import: run } })
})

async function* withHeader(header: string | null, lines: AsyncGenerator<string>) {
  try {
    if (header !== null) yield header
    yield* lines
  } finally {
    await lines.return(undefined)
  }
}

const CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = { csv: "text/csv; charset=utf-8", jsonl: "application/x-ndjson" }

const exportRecords = Effect.gen(function*() {
  const context = yield* target
  const { scope, object, limits } = context
  const params = yield* queryParams
  const format: ExportFormat = yield* parsing(() => {
    const raw = params.get("format") ?? "csv"
    if (raw !== "csv" && raw !== "jsonl") throw new BadUserInput({ message: `format '${raw}' is invalid. Use csv or jsonl`, field: "format" })
    return raw
  })
  const selection = yield* answerSelection(context)
  const { filter, orderBy } = yield* listArgs(object, limits)
  const records = yield* Records
  const columns = csvColumns(object, selection)
  // Lines built by the database where it can answer them (export-text.ts), else records shaped here.
  const lines = yield* records.streamLines(scope, object.nameSingular, { filter, orderBy }, selection, format)
  const chunks = lines !== null
    ? withHeader(format === "csv" ? csvHeader(columns) : null, lines)
    : exportText(format, yield* records.streamMany(scope, object.nameSingular, { filter, orderBy }, selection), columns,
      (record) => flatten(record, selection))
  const encoder = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next()
      if (next.done) controller.close()
      else controller.enqueue(encoder.encode(next.value))
    },
    async cancel() {
      await chunks.return(undefined)
    }
  })
  return HttpServerResponse.raw(body, {
    headers: {
      "content-type": CONTENT_TYPES[format],
      "content-disposition": `attachment; filename="${object.namePlural}.${format}"`
    }
  })
})

/** Registered before the record routes, whose `/rest/:plural/:id` would take these paths. */
export const restBulkRoutes = HttpRouter.empty.pipe(
  HttpRouter.post("/rest/:plural/import", asUserError(startImport)),
  HttpRouter.get("/rest/imports/:id", asUserError(importStatus)),
  HttpRouter.get("/rest/:plural/export", asUserError(exportRecords))
)
