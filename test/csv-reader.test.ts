/** The imports' CSV reader answers as csv-parse does with the upload's options: same records, same refusals. */
import { describe, expect, test } from "bun:test"
import { parse } from "csv-parse/sync"
import fc from "fast-check"
import { CsvRecords } from "../src/services/imports/csv.js"

const OPTIONS = { columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, trim: false } as const

const reference = (text: string) => {
  try {
    return { records: parse(text, OPTIONS) as Array<Record<string, string>> }
  } catch (error) {
    return { error: String((error as { code?: unknown }).code) }
  }
}

/** The text fed in the given pieces, as an upload's chunks arrive. */
const read = (pieces: ReadonlyArray<string>) => {
  const reader = new CsvRecords()
  try {
    const records = pieces.flatMap((piece) => reader.push(piece))
    return { records: [...records, ...reader.end()] }
  } catch (error) {
    return { error: String((error as { code?: unknown }).code) }
  }
}

const pieces = (text: string, cuts: ReadonlyArray<number>) => {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
  return [...at, text.length].map((end, k) => text.slice(k === 0 ? 0 : at[k - 1], end))
}

const csvText = fc.array(fc.constantFrom("a", "b", "é", ",", '"', '""', "\n", "\r", "\r\n", " ", "\uFEFF"), { maxLength: 40 }).map((parts) => parts.join(""))

describe("CSV reader", () => {
  test("examples: quotes, line breaks, empty lines, BOM, short and long rows, repeated columns", () => {
    const cases = ["a,b\n1,2,3\n4\n", "a,b\r\n1,2\r\n\r\n3,4", "a,b\n1,\"x\"\"y\"\n", "a,a\n1,2\n", ",b\n1,2\n", "a,b\n\"1\n2\",3\n",
      "\uFEFFa,b\n1,2", "a,b\r1,2\r", "a,b\n1,2\r\n3,4\n", "a,b\r\n1,2\n3,4\r\n", "a,b\n,\n", "a\n\"\"\n", "a,b\n1\r,2\n",
      "a,b\n1,b\"c\n", "a,b\n1,\"b\"c\n", "a,b\n1,\"unterminated\n", "a,b\n \"x\",2\n", "a,b\n\"1\"\"\n", "\"a\nb\",c\r\nx,y\r\n", ""]
    for (const text of cases) {
      expect({ text, ...read([text]) }).toEqual({ text, ...reference(text) })
      expect({ text, ...read(text.split("")) }).toEqual({ text, ...reference(text) })
    }
  })

  test("generated texts, cut into chunks anywhere, read as csv-parse reads them whole", () => {
    fc.assert(fc.property(csvText, fc.array(fc.nat(60), { maxLength: 6 }), (text, cuts) => {
      expect({ text, ...read(pieces(text, cuts)) }).toEqual({ text, ...reference(text) })
    }), { numRuns: 5_000 })
  })
})
