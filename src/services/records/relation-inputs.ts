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
  readonly conditions: ReadonlyArray<readonly [column: string, value: string]>
}

/** The target's unique constraints a connect may name: its id, then each unique field. */
const connectConditions = (model: Model, target: ObjectMetadata, where: unknown, fieldName: string) => {
  if (!isObject(where)) return fail(`"${fieldName}.connect.where" must name a unique field of ${target.nameSingular}`, fieldName)
  const keys = Object.keys(where).filter((key) => where[key] !== undefined && where[key] !== null)
  if (keys.length === 0) {
    return fail(`Missing required fields: unique constraint fields are not all populated for '${fieldName}'.`, fieldName)
  }
  if (keys.length > 1) {
    return fail(`Too many fields provided for connect field '${fieldName}'. Only fields from one unique constraint are allowed.`, fieldName)
  }
  const key = keys[0]!
  const value = where[key]
  const unique = key === "id" ? undefined : model.field(target, key)
  if (key !== "id" && (!unique || unique.joinColumn || !unique.field.isUnique)) {
    return fail(`"${key}" is not a unique field of ${target.nameSingular}: connect by id or a unique field`, `${fieldName}.connect.where.${key}`)
  }
  if (key === "id") {
    if (!isUuid(value)) return fail(`Invalid id ${JSON.stringify(value)} to connect ${fieldName}`, `${fieldName}.connect.where.id`)
    return [["id", value.toLowerCase()] as const]
  }
  const field = unique!.field
  const type = field.type
  if (!isCompositeFieldType(type)) {
    if (typeof value !== "string") return fail(`Connect ${fieldName} by ${key} takes a string`, `${fieldName}.connect.where.${key}`)
    return [[field.name, value] as const]
  }
  if (!isObject(value)) return fail(`Connect ${fieldName} by ${key} takes an object of its unique subfields`, `${fieldName}.connect.where.${key}`)
  const conditions = Object.entries(value).filter(([, sub]) => sub !== undefined && sub !== null).map(([subName, sub]) => {
    const known = COMPOSITE_TYPES[type].find((s) => s.name === subName && s.isIncludedInUniqueConstraint)
    if (!known) return fail(`"${subName}" is not a unique subfield of ${key}`, `${fieldName}.connect.where.${key}.${subName}`)
    if (typeof sub !== "string") return fail(`Connect ${fieldName} by ${key}.${subName} takes a string`, `${fieldName}.connect.where.${key}.${subName}`)
    return [compositeColumnName(field.name, subName), sub] as const
  })
  return conditions.length > 0
    ? conditions
    : fail(`Missing required fields: unique constraint fields are not all populated for '${fieldName}'.`, fieldName)
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
      if (record[`${key}Id`] !== undefined) fail(`${key} and ${key}Id cannot be both provided.`, key)
      const extra = Object.keys(value).find((k) => k !== "connect" && k !== "disconnect")
      if (extra) fail(`"${extra}" is not allowed in ${key}: use connect or disconnect`, `${key}.${extra}`)
      const { connect, disconnect } = value
      if (disconnect !== undefined && disconnect !== null && typeof disconnect !== "boolean") fail(`"${key}.disconnect" takes true or false`, key)
      const connecting = connect !== undefined && connect !== null
      if (connecting && disconnect === true) fail(`Cannot connect and disconnect ${key} at once`, key)
      copy ??= { ...record }
      delete copy[key]
      if (disconnect === true) copy[`${key}Id`] = null
      if (connecting) {
        if (!isObject(connect)) fail(`"${key}.connect" takes { where: { … } }`, key)
        const target = model.target(found.field)
        connects.push({ index, field: found.field, target, conditions: connectConditions(model, target, (connect as Record<string, unknown>)["where"], key) })
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
