import type { FieldMetadata, ObjectMetadata } from "../../domain/metadata.js"
import { COMPOSITE_TYPES, compositeColumnName, isCompositeFieldType } from "../../domain/composite-types.js"
import { ident } from "../metadata/columns.js"
import { badInput, isObject, type Model, Params, QueryInputError } from "./query-builder.js"
import { isUuid } from "../../platform/lib/uuid.js"

/**
 * Twenty's nested relation inputs on a MANY_TO_ONE field, accepted wherever a record is written:
 * `{ company: { connect: { where: { id } } } }` (or one unique field of the target, `domainName: { primaryLinkUrl }`)
 * sets `companyId` to the one live record matching; `{ company: { disconnect: true } }` clears it.
 */

const fail = (message: string, field: string): never => {
  throw new QueryInputError(badInput(message, field))
}

/** One record's connect: the target's row matching every column condition becomes `<field>Id`. */
export interface Connect {
  readonly index: number
  readonly field: FieldMetadata
  readonly target: ObjectMetadata
  /** The unique fields named in `where`, in their order (Twenty compares them across a batch). */
  readonly fields: ReadonlyArray<string>
  readonly conditions: ReadonlyArray<readonly [column: string, value: string]>
}

const notPopulated = (fieldName: string) =>
  fail(`Missing required fields: at least one unique constraint have to be fully populated for '${fieldName}'.`, fieldName)

/**
 * The target's unique constraints a connect may name: its id, then each unique field. As Twenty's
 * compute-relation-connect-query-configs.util.ts: one constraint must be fully populated, and every key of
 * `where` must belong to a unique constraint; all of them are matched.
 */
const connectConditions = (model: Model, target: ObjectMetadata, where: unknown, fieldName: string) => {
  if (!isObject(where)) return notPopulated(fieldName)
  const keys = Object.keys(where).filter((key) => where[key] !== undefined)
  const uniqueField = (key: string) => {
    if (key === "id") return null
    const found = model.field(target, key)
    return found && !found.joinColumn && found.field.isUnique ? found.field : undefined
  }
  if (!keys.some((key) => where[key] !== null && uniqueField(key) !== undefined)) return notPopulated(fieldName)
  const conditions: Array<readonly [string, string]> = []
  for (const key of keys) {
    const field = uniqueField(key)
    if (field === undefined) fail(`Field ${key} is not a unique constraint field for '${fieldName}'.`, `${fieldName}.connect.where.${key}`)
    const value = where[key]
    if (value === null) continue
    if (field === null) {
      if (!isUuid(value)) fail(`Invalid id ${JSON.stringify(value)} to connect ${fieldName}`, `${fieldName}.connect.where.id`)
      conditions.push(["id", (value as string).toLowerCase()])
      continue
    }
    const type = field!.type
    if (!isCompositeFieldType(type)) {
      if (typeof value !== "string") fail(`Connect ${fieldName} by ${key} takes a string`, `${fieldName}.connect.where.${key}`)
      conditions.push([field!.name, value as string])
      continue
    }
    if (!isObject(value)) fail(`Connect ${fieldName} by ${key} takes an object of its unique subfields`, `${fieldName}.connect.where.${key}`)
    const subs = Object.entries(value as Record<string, unknown>).filter(([, sub]) => sub !== undefined && sub !== null)
    if (subs.length === 0) notPopulated(fieldName)
    for (const [subName, sub] of subs) {
      const known = COMPOSITE_TYPES[type].find((s) => s.name === subName && s.isIncludedInUniqueConstraint)
      if (!known) fail(`"${subName}" is not a unique subfield of ${key}`, `${fieldName}.connect.where.${key}.${subName}`)
      if (typeof sub !== "string") fail(`Connect ${fieldName} by ${key}.${subName} takes a string`, `${fieldName}.connect.where.${key}.${subName}`)
      conditions.push([compositeColumnName(field!.name, subName), sub as string])
    }
  }
  return conditions.length > 0 ? { fields: keys, conditions } : notPopulated(fieldName)
}

/**
 * Takes the nested relation inputs out of records being written: disconnects become `<field>Id: null`,
 * connects are returned to be looked up. Anything else is left for toColumns to judge.
 */
export const relationInputs = (model: Model, object: ObjectMetadata, data: ReadonlyArray<unknown>) => {
  const connects: Array<Connect> = []
  const records = data.map((record, index) => {
    if (!isObject(record)) return record
    let copy: Record<string, unknown> | null = null
    for (const [key, value] of Object.entries(record)) {
      if (!isObject(value) || !("connect" in value || "disconnect" in value)) continue
      const found = model.field(object, key)
      if (!found || found.joinColumn || found.field.type !== "RELATION" || found.field.relationType !== "MANY_TO_ONE") {
        return fail(`Connect is not allowed for ${key} on ${object.nameSingular}`, key)
      }
      if (record[`${key}Id`] != null) fail(`${key} and ${key}Id cannot be both provided.`, key)
      const extra = Object.keys(value).find((k) => k !== "connect" && k !== "disconnect")
      if (extra) fail(`"${extra}" is not allowed in ${key}: use connect or disconnect`, `${key}.${extra}`)
      const { connect, disconnect } = value
      if (disconnect !== undefined && disconnect !== null && typeof disconnect !== "boolean") fail(`"${key}.disconnect" takes true or false`, key)
      const connecting = connect !== undefined && connect !== null
      // Twenty refuses connect beside any boolean disconnect, even false.
      if (connecting && typeof disconnect === "boolean") fail(`Cannot have both connect and disconnect for the same relation field ${key}.`, key)
      copy ??= { ...record }
      delete copy[key]
      if (disconnect === true) copy[`${key}Id`] = null
      if (connecting) {
        if (!isObject(connect)) fail(`"${key}.connect" takes { where: { … } }`, key)
        const target = model.target(found.field)
        const { fields, conditions } = connectConditions(model, target, (connect as Record<string, unknown>)["where"], key)
        const first = connects.find((c) => c.field.name === key)
        if (first && first.fields.join("\u0000") !== fields.join("\u0000")) {
          fail(`Expected the same constraint fields to be used consistently across all operations for ${key}.`, key)
        }
        connects.push({ index, field: found.field, target, fields, conditions })
      }
    }
    return copy ?? record
  })
  return { records, connects }
}

/** The connects sharing one field and the same columns, looked up together. */
export const connectGroups = (connects: ReadonlyArray<Connect>) => {
  const groups = new Map<string, Array<Connect>>()
  for (const connect of connects) {
    const key = `${connect.field.id}\u0000${connect.conditions.map(([column]) => column).join("\u0000")}`
    const group = groups.get(key)
    if (group) group.push(connect)
    else groups.set(key, [connect])
  }
  return [...groups.values()]
}

/**
 * One statement for a group: the live target rows matching any of its connects, with the columns matched
 * on. `visible` narrows the target to the rows the caller may see (a condition on alias t0), if it must.
 */
export const connectLookup = (model: Model, group: ReadonlyArray<Connect>, visible?: (params: Params) => string | null) => {
  const { target, conditions } = group[0]!
  const params = new Params()
  const columns = conditions.map(([column]) => column)
  const matches = group.map((connect) => `(${connect.conditions.map(([column, value]) => `${ident(column)} = ${params.add(value)}`).join(" AND ")})`)
  const rows = visible?.(params) ?? null
  return {
    text: `SELECT "id", ${columns.map((column, i) => `${ident(column)}::text AS c${i}`).join(", ")} FROM ${model.table(target)}${rows ? " t0" : ""}
      WHERE "deletedAt" IS NULL AND (${matches.join(" OR ")})${rows ? ` AND ${rows}` : ""}`,
    params: params.values
  }
}

/** Each connect's one match → `<field>Id`; none or several is Twenty's error. */
export const applyConnects = (
  records: Array<unknown>,
  group: ReadonlyArray<Connect>,
  rows: ReadonlyArray<Record<string, unknown>>
) => {
  for (const connect of group) {
    const found = rows.filter((row) => connect.conditions.every(([, value], i) => row[`c${i}`] === value))
    const name = connect.field.name
    if (found.length !== 1) {
      const condition = connect.conditions.map(([column, value]) => `${column} = ${value}`).join(" and ")
      fail(`Expected 1 record to connect to ${name}, but found ${found.length} for ${condition}`, name)
    }
    ;(records[connect.index] as Record<string, unknown>)[`${name}Id`] = found[0]!["id"]
  }
}
