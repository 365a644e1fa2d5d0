import { Either, Schema } from "effect"
import { BadUserInput } from "../../domain/errors.js"
import type { FieldType } from "../../domain/field-types.js"
import type { OrderDirection, RecordFilter } from "../../services/records/types.js"

/**
 * Twenty's REST query grammar:
 *   filter   = list
 *   list     = expr ("," expr)*                      (implicitly AND)
 *   expr     = ("and" | "or" | "not") "(" list ")" | path "[" comparator "]" ":" value
 *   path     = name ("." name)?
 *   value    = quoted | "[" item ("," item)* "]" | bare text up to "," or ")"
 * Values are typed by the field they compare (numbers, booleans); everything else stays a string.
 */

const COMPARATORS = new Set([
  "eq", "neq", "in", "containsAny", "is", "gt", "gte", "lt", "lte", "startsWith", "endsWith", "like", "ilike",
  "containsIlike", "isEmptyArray", "search"
])

const DIRECTIONS = new Set<OrderDirection>(["AscNullsFirst", "AscNullsLast", "DescNullsFirst", "DescNullsLast"])

export type FieldTypeOf = (path: ReadonlyArray<string>) => FieldType | undefined

class ParseError extends Error {}

const invalid = (message: string): never => {
  throw new ParseError(message)
}

class Scanner {
  position = 0
  constructor(readonly text: string) {}

  get done() {
    return this.position >= this.text.length
  }

  peek() {
    return this.text[this.position]
  }

  expect(char: string) {
    if (this.text[this.position] !== char) {
      invalid(`'filter' invalid: expected '${char}' at position ${this.position} in '${this.text}'`)
    }
    this.position++
  }

  /** Reads until one of `stops` outside quotes; used for names and bare values. */
  until(stops: string) {
    const start = this.position
    while (!this.done && !stops.includes(this.peek()!)) this.position++
    return this.text.slice(start, this.position)
  }

  quoted() {
    const quote = this.peek()!
    this.position++
    let value = ""
    while (!this.done && this.peek() !== quote) {
      if (this.peek() === "\\" && this.position + 1 < this.text.length) this.position++
      value += this.text[this.position++]
    }
    if (this.done) invalid(`'filter' invalid: unterminated quote in '${this.text}'`)
    this.position++
    return value
  }
}

const parseValue = (scanner: Scanner): { raw: string | Array<string>; quoted: boolean } => {
  const next = scanner.peek()
  if (next === `"` || next === `'`) return { raw: scanner.quoted(), quoted: true }
  if (next === "[") {
    scanner.position++
    const items: Array<string> = []
    while (scanner.peek() !== "]") {
      if (scanner.done) invalid(`'filter' invalid: unterminated list in '${scanner.text}'`)
      const item = scanner.peek() === `"` || scanner.peek() === `'` ? scanner.quoted() : scanner.until(",]").trim()
      items.push(item)
      if (scanner.peek() === ",") scanner.position++
    }
    scanner.position++
    return { raw: items, quoted: false }
  }
  return { raw: scanner.until(",)").trim(), quoted: false }
}

const typed = (raw: string, type: FieldType | undefined, quoted: boolean): unknown => {
  if (quoted) return raw
  if (type === "NUMBER" || type === "NUMERIC" || type === "POSITION") {
    const n = Number(raw)
    return raw !== "" && Number.isFinite(n) ? n : raw
  }
  if (type === "BOOLEAN") return raw === "true" ? true : raw === "false" ? false : raw
  return raw
}

const parseExpression = (scanner: Scanner, typeOf: FieldTypeOf): RecordFilter => {
  const word = scanner.until("[(,)").trim()
  if (scanner.peek() === "(") {
    if (word !== "and" && word !== "or" && word !== "not") invalid(`'filter' invalid: unknown conjunction '${word}'`)
    scanner.position++
    const children = parseList(scanner, typeOf)
    scanner.expect(")")
    if (word === "not") {
      if (children.length !== 1) invalid(`'filter' invalid. 'not' conjunction should contain only 1 condition`)
      return { not: children[0]! }
    }
    return { [word]: children }
  }
  if (word === "") invalid(`'filter' invalid: empty condition in '${scanner.text}'`)
  if (scanner.peek() !== "[") invalid(`'filter' invalid for '${word}'. eg: price[gte]:10`)
  scanner.position++
  const comparator = scanner.until("]")
  scanner.expect("]")
  scanner.expect(":")
  if (!COMPARATORS.has(comparator)) invalid(`'filter' invalid: unknown comparator '${comparator}' for '${word}'`)
  const path = word.split(".")
  if (path.length > 2 || path.some((p) => !/^[a-zA-Z][a-zA-Z0-9]*$/.test(p))) invalid(`'filter' invalid: bad field '${word}'`)
  const type = typeOf(path)
  if (type === undefined) invalid(`'${word}' does not exist`)
  const { raw, quoted } = parseValue(scanner)
  const value = comparator === "isEmptyArray"
    ? raw === "true"
    : Array.isArray(raw)
    ? raw.map((item) => typed(item, type, false))
    : typed(raw, type, quoted)
  if ((comparator === "in" || comparator === "containsAny") && !Array.isArray(value)) {
    invalid(`'filter' invalid: '${comparator}' takes a list such as [a,b] for '${word}'`)
  }
  const condition = { [comparator]: value }
  return path.length === 2 ? { [path[0]!]: { [path[1]!]: condition } } : { [path[0]!]: condition }
}

const parseList = (scanner: Scanner, typeOf: FieldTypeOf): Array<RecordFilter> => {
  const items = [parseExpression(scanner, typeOf)]
  while (scanner.peek() === ",") {
    scanner.position++
    items.push(parseExpression(scanner, typeOf))
  }
  return items
}

export const parseRestFilter = (input: string, typeOf: FieldTypeOf): RecordFilter => {
  try {
    const opening = [...input].filter((c) => c === "(").length
    const closing = [...input].filter((c) => c === ")").length
    if (opening !== closing) invalid(`'filter' invalid. '(' count should be equal to ')' count`)
    const scanner = new Scanner(input.trim())
    const items = parseList(scanner, typeOf)
    if (!scanner.done) invalid(`'filter' invalid: unexpected '${scanner.text.slice(scanner.position)}'`)
    return items.length === 1 ? items[0]! : { and: items }
  } catch (e) {
    if (e instanceof ParseError) throw new BadUserInput({ message: e.message, field: "filter" })
    throw e
  }
}

/** `name[AscNullsFirst],name.firstName[DescNullsLast]`; a field without brackets is AscNullsFirst. */
export const parseRestOrderBy = (input: string, typeOf: FieldTypeOf) =>
  input.split(",").map((part) => part.trim()).filter(Boolean).map((part) => {
    const match = /^([a-zA-Z][a-zA-Z0-9]*)(?:\.([a-zA-Z][a-zA-Z0-9]*))?(?:\[([A-Za-z]+)\])?$/.exec(part)
    if (!match) throw new BadUserInput({ message: `'order_by' invalid: '${part}'`, field: "order_by" })
    const [, field, sub, rawDirection] = match
    const direction = (rawDirection ?? "AscNullsFirst") as OrderDirection
    if (!DIRECTIONS.has(direction)) {
      throw new BadUserInput({
        message: `'order_by' direction '${rawDirection}' invalid. Allowed values are ${[...DIRECTIONS].join(", ")}`,
        field: "order_by"
      })
    }
    if (typeOf(sub ? [field!, sub] : [field!]) === undefined) {
      throw new BadUserInput({ message: `'${sub ? `${field}.${sub}` : field}' does not exist`, field: "order_by" })
    }
    return sub ? { [field!]: { [sub]: direction } } : { [field!]: direction }
  })

const Direction = Schema.Literal("AscNullsFirst", "AscNullsLast", "DescNullsFirst", "DescNullsLast")
const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown })
const RecordOrder = Schema.Record({ key: Schema.String, value: Schema.Union(Direction, Schema.Record({ key: Schema.String, value: Direction })) })

/** The JSON-valued parameters of `GET /rest/{plural}/groupBy`; fields and aggregates are checked by Records against metadata. */
export const GroupByParam = Schema.Array(JsonObject)
export const AggregateParam = Schema.Array(Schema.String)
/** A group-by `order_by`: one object or a list of them (aggregates and group-by fields). */
export const GroupOrderParam = Schema.Union(Schema.Array(JsonObject), JsonObject)
export const RecordOrderParam = Schema.Union(Schema.Array(RecordOrder), RecordOrder)

/**
 * A JSON query parameter decoded with `schema`: `fallback` when absent or blank, else the value, or
 * BadUserInput `Invalid <name> query parameter - should be <hint>` when it is not JSON or not of that shape.
 */
export const decodeJsonParam = <A, I, F>(
  params: URLSearchParams,
  name: string,
  schema: Schema.Schema<A, I>,
  fallback: F,
  hint: string
): A | F => {
  const raw = params.get(name)
  if (raw === null || raw.trim() === "") return fallback
  return Either.getOrThrowWith(
    Schema.decodeUnknownEither(Schema.parseJson(schema))(raw),
    () => new BadUserInput({ message: `Invalid ${name} query parameter - should be ${hint}`, field: name })
  )
}

/** The body of `POST /rest/{plural}/duplicates`: record ids, or records to compare, or both. */
export const DuplicatesBody = Schema.Struct({
  ids: Schema.optional(Schema.Array(Schema.Unknown)),
  data: Schema.optional(Schema.Array(JsonObject))
})
/** Its ids, decoded apart: a list holding a non-string gets Records' own message for ids that are not UUIDs. */
export const DuplicateIds = Schema.Array(Schema.String)

/** The body of `PATCH /rest/{plural}/merge`, one schema per field so each keeps its own message. */
export const MergeIds = Schema.Array(Schema.String)
// Absent or null: the first record wins, as before.
export const ConflictPriorityIndex = Schema.optionalWith(Schema.Number, { default: () => 0, nullable: true })
export const MergeBody = Schema.Struct({ conflictPriorityIndex: ConflictPriorityIndex, dryRun: Schema.optional(Schema.Unknown) })
