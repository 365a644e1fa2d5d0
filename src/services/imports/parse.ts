import { Readable } from "node:stream"
import { isObject } from "../records/query-builder.js"
import { CsvError, CsvRecords } from "./csv.js"

export type ImportFormat = "csv" | "jsonl"

/** Column (CSV header or top-level JSON key) → field path (`name.firstName`, `company.domainName.primaryLinkUrl`); null skips it. */
export type ImportMapping = Readonly<Record<string, string | null>>

/** An upload that cannot be read at all (as opposed to a bad row, which is reported and skipped). */
export class UnreadableUpload extends Error {}

/** Key of a staged row that could not be parsed: the job reports it as that row's error. */
export const ROW_PARSE_ERROR = "$error"

const mapped = (row: Record<string, unknown>, mapping: ImportMapping | undefined) => {
  if (!mapping) return row
  const out: Record<string, unknown> = {}
  for (const [column, value] of Object.entries(row)) {
    const path = mapping[column]
    if (typeof path === "string" && path !== "") out[path] = value
  }
  return out
}

async function* csvRows(body: Readable, mapping: ImportMapping | undefined) {
  const reader = new CsvRecords()
  const decoder = new TextDecoder()
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      for (const record of reader.push(decoder.decode(chunk, { stream: true }))) yield mapped(record, mapping)
    }
    for (const record of reader.push(decoder.decode())) yield mapped(record, mapping)
    for (const record of reader.end()) yield mapped(record, mapping)
  } catch (error) {
    // The reader's own errors; anything else (the upload's stream failed) goes on as it is.
    if (error instanceof CsvError) throw new UnreadableUpload(`Invalid CSV: ${error.message}`)
    throw error
  }
}

async function* jsonLines(body: Readable, mapping: ImportMapping | undefined) {
  const decoder = new TextDecoder()
  let pending = ""
  const line = (text: string) => {
    try {
      const value: unknown = JSON.parse(text)
      return isObject(value) ? mapped(value, mapping) : { [ROW_PARSE_ERROR]: "A JSON line must hold one object" }
    } catch {
      return { [ROW_PARSE_ERROR]: `Invalid JSON: ${text.length > 80 ? `${text.slice(0, 80)}…` : text}` }
    }
  }
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true })
    const lines = pending.split("\n")
    pending = lines.pop()!
    for (const text of lines) if (text.trim() !== "") yield line(text)
  }
  pending += decoder.decode()
  if (pending.trim() !== "") yield line(pending)
}

/** An upload whose client went away mid-body (Bun fails the body's stream with an AbortError). */
export class UploadCutOff extends Error {}

/** An upload that sent nothing for IMPORT_BODY_TIMEOUT. */
export class UploadTimedOut extends Error {}

const isAbort = (error: unknown) => error instanceof Error && (error.name === "AbortError" || /connection was closed/i.test(error.message))

/** How a streamed upload is read: given up when silent for `idleMs`, or at once when `signal` aborts (the client went away). */
export interface UploadWatch {
  readonly idleMs: number
  readonly signal?: AbortSignal | undefined
  /** The declared Content-Length: a body that ends short of it was cut off. */
  readonly length?: number | undefined
}

/** The body's chunks; a read that waits longer than `idleMs` fails the upload, as does the client going away. */
async function* chunksOf(body: ReadableStream<Uint8Array>, watch: UploadWatch) {
  const reader = body.getReader()
  const { idleMs, signal, length } = watch
  const cutOff = () => new UploadCutOff("the client closed the connection")
  let bytes = 0
  try {
    while (true) {
      // Bun may still hold bytes of a body whose client is gone: they are not read.
      if (signal?.aborted) throw cutOff()
      let timer: ReturnType<typeof setTimeout> | undefined
      let onAbort: (() => void) | undefined
      const ended = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new UploadTimedOut(`no data for ${idleMs / 1000} s`)), idleMs)
        onAbort = () => reject(cutOff())
        signal?.addEventListener("abort", onAbort, { once: true })
      })
      let next: Awaited<ReturnType<typeof reader.read>>
      try {
        next = await Promise.race([reader.read(), ended])
      } catch (error) {
        throw isAbort(error) ? cutOff() : error
      } finally {
        clearTimeout(timer)
        signal?.removeEventListener("abort", onAbort!)
      }
      if (next.done) {
        // Bun can end a body whose connection closed short of its declared length as if it were whole.
        if (length !== undefined && bytes < length) throw new UploadCutOff(`the connection closed after ${bytes} of ${length} bytes`)
        return
      }
      bytes += next.value.byteLength
      yield next.value
    }
  } finally {
    // A read given up on (timeout, parse error) leaves the stream to Bun: cancelled, its socket is let go.
    reader.cancel().catch(() => undefined)
  }
}

/**
 * The records of an upload, one at a time (constant memory): CSV with a header row, or JSON lines; each
 * mapped from its columns to field paths (without a mapping, the column names are the paths). A streamed
 * body fails with UploadTimedOut or UploadCutOff as `watch` says.
 */
export const readUpload = (
  format: ImportFormat,
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  mapping?: ImportMapping,
  watch: UploadWatch = { idleMs: 30_000 }
): AsyncIterable<Record<string, unknown>> => {
  const stream = Readable.from(body instanceof ReadableStream ? chunksOf(body, watch) : body)
  return format === "csv" ? csvRows(stream, mapping) : jsonLines(stream, mapping)
}
