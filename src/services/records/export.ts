import { stringify } from "csv-stringify/sync"
import { COMPOSITE_TYPES, isCompositeFieldType } from "../../domain/composite-types.js"
import type { ObjectMetadata } from "../../domain/metadata.js"
import type { RecordValue, Selection } from "./types.js"

export type ExportFormat = "csv" | "jsonl"

/** CSV columns of a selection: a field, or one column per composite subfield (`name.firstName`), as imports read them. */
export const csvColumns = (object: ObjectMetadata, selection: Selection): ReadonlyArray<readonly [string, string | null]> =>
  ["id", ...selection.fields.filter((name) => name !== "id")].flatMap((name): Array<readonly [string, string | null]> => {
    const field = object.fields.find((f) => f.name === name)
    return field && isCompositeFieldType(field.type)
      ? COMPOSITE_TYPES[field.type].map((sub) => [name, sub.name] as const)
      : [[name, null] as const]
  })

const cell = (value: unknown): string =>
  value === null || value === undefined ? "" : typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value)

/** The CSV header line of an export. */
export const csvHeader = (columns: ReadonlyArray<readonly [string, string | null]>) =>
  stringify([columns.map(([name, sub]) => (sub ? `${name}.${sub}` : name))])

/** The export as text chunks: a CSV header then a chunk per page, or one JSON line per record. */
export async function* exportText(
  format: ExportFormat,
  pages: AsyncGenerator<ReadonlyArray<RecordValue>>,
  columns: ReadonlyArray<readonly [string, string | null]>,
  shape: (record: RecordValue) => RecordValue
): AsyncGenerator<string> {
  if (format === "csv") yield csvHeader(columns)
  for await (const page of pages) {
    if (page.length === 0) continue
    if (format === "jsonl") {
      yield page.map((record) => JSON.stringify(shape(record))).join("\n") + "\n"
      continue
    }
    yield stringify(page.map((record) => columns.map(([name, sub]) => {
      const value = record[name]
      return cell(sub === null ? value : (value as Record<string, unknown> | null | undefined)?.[sub])
    })))
  }
}
