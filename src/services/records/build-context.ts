import { BadUserInput, type Forbidden } from "../../domain/errors.js"
import type { Access } from "../../domain/permissions.js"
import type { FieldMetadata, ObjectMetadata, WorkspaceMetadata } from "../../domain/metadata.js"
import { ident, qualified } from "../metadata/columns.js"

/** Collects parameters while SQL text is assembled; values never enter the text. */
export class Params {
  readonly values: Array<unknown> = []
  add(value: unknown): string {
    this.values.push(value)
    return `$${this.values.length}`
  }
}

export const badInput = (message: string, field?: string) => new BadUserInput({ message, ...(field ? { field } : {}) })

/** Thrown while building SQL from user input; turned into a typed failure by the records service. */
export class QueryInputError extends Error {
  constructor(readonly failure: BadUserInput | Forbidden) {
    super(failure.message)
  }
}

export const fail = (message: string, field?: string): never => {
  throw new QueryInputError(badInput(message, field))
}

/** The one UUID pattern (platform/lib/uuid.ts), under the name write.ts imports; new code calls isUuid. */
export { UUID_PATTERN as UUID } from "../../platform/lib/uuid.js"

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Everything the builders need to resolve names: the workspace's schema and objects. */
export class Model {
  private readonly byName = new Map<string, ObjectMetadata>()
  private readonly byId = new Map<string, ObjectMetadata>()
  /** Active fields by name, made for an object when first asked: a request reads a few of a model's objects. */
  private readonly fieldsByObject = new Map<string, Map<string, FieldMetadata>>()

  constructor(readonly metadata: WorkspaceMetadata) {
    for (const object of metadata.objects) {
      if (!object.isActive) continue
      this.byName.set(object.nameSingular, object)
      this.byId.set(object.id, object)
    }
  }

  private fieldsOf(object: ObjectMetadata): Map<string, FieldMetadata> {
    let fields = this.fieldsByObject.get(object.id)
    if (!fields) {
      fields = new Map()
      for (const field of this.byId.get(object.id)!.fields) if (field.isActive) fields.set(field.name, field)
      this.fieldsByObject.set(object.id, fields)
    }
    return fields
  }

  object(name: string): ObjectMetadata {
    return this.byName.get(name) ?? fail(`Object "${name}" does not exist`, "object")
  }

  objectById(id: string): ObjectMetadata {
    return this.byId.get(id) ?? fail(`Object ${id} does not exist`, "object")
  }

  /** A field by name; `companyId` resolves to the MANY_TO_ONE field `company`'s join column. */
  field(object: ObjectMetadata, name: string): { field: FieldMetadata; joinColumn: boolean } | undefined {
    const fields = this.fieldsOf(object)
    const direct = fields.get(name)
    if (direct) return { field: direct, joinColumn: false }
    if (name.endsWith("Id")) {
      const relation = fields.get(name.slice(0, -2))
      if (relation && relation.relationType === "MANY_TO_ONE") return { field: relation, joinColumn: true }
    }
    return undefined
  }

  fields(object: ObjectMetadata): Iterable<FieldMetadata> {
    return this.fieldsOf(object).values()
  }

  table(object: ObjectMetadata) {
    return qualified(this.metadata.schema, object.tableName)
  }

  target(field: FieldMetadata) {
    return this.objectById(field.relationTargetObjectMetadataId!)
  }

  inverse(field: FieldMetadata): FieldMetadata {
    const target = this.target(field)
    const inverse = target.fields.find((f) => f.id === field.relationTargetFieldMetadataId)
    return inverse ?? fail(`Relation ${field.name} has no inverse`, field.name)
  }
}

export const col = (alias: string, column: string) => `${alias}.${ident(column)}`

export const isRelation = (field: FieldMetadata) => field.type === "RELATION" || field.type === "MORPH_RELATION"



/**
 * A restricted caller's permissions while SQL is built (null: unrestricted, nothing checked). `memberId`
 * stands for CURRENT_WORKSPACE_MEMBER in row filters.
 */
export interface Guard {
  readonly access: Access
  readonly memberId: string | null
}

export interface BuildContext {
  readonly model: Model
  readonly params: Params
  readonly guard: Guard | null
  /** Above 0 while a role's own row filter is built: its fields are not the caller's to be refused. */
  trusted: number
  readonly maxDepth: number
  readonly defaultPageSize: number
  readonly maxPageSize: number
  aliasCounter: number
}

export const nextAlias = (ctx: BuildContext) => `t${++ctx.aliasCounter}`

/**
 * Field types whose column pg parses to the same JS value as the JSON of that column would give: text
 * and uuid as strings, booleans, integers and doubles as numbers, jsonb parsed, date-times as the ISO
 * text we format. Other types (bigint and numeric as text, dates, arrays) go through JSON.
 */
const PLAIN_TYPES = new Set(["UUID", "TEXT", "RICH_TEXT", "SELECT", "RATING", "BOOLEAN", "DATE_TIME", "RAW_JSON"])
export type Typed = { readonly type: FieldMetadata["type"]; readonly settings?: FieldMetadata["settings"] }
export const isPlain = (field: Typed) =>
  PLAIN_TYPES.has(field.type) || (field.type === "NUMBER" && field.settings?.["dataType"] !== "bigint")

/** A row read as an array of column values. */
export type Row = ReadonlyArray<unknown>
