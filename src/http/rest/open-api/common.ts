/** Building blocks shared by the core (records) and metadata OpenAPI documents. */

type JsonType = "string" | "number" | "integer" | "boolean" | "object" | "array" | "null"

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect), as far as these documents use it. */
export interface Schema {
  readonly $ref?: string
  readonly type?: JsonType | ReadonlyArray<JsonType>
  readonly format?: string
  readonly enum?: ReadonlyArray<string | number | null>
  readonly items?: Schema
  readonly properties?: Readonly<Record<string, Schema>>
  readonly required?: ReadonlyArray<string>
  readonly anyOf?: ReadonlyArray<Schema>
  readonly description?: string
  readonly default?: unknown
  readonly minimum?: number
  readonly maximum?: number
  readonly pattern?: string
  readonly examples?: ReadonlyArray<unknown>
}

export interface Reference {
  readonly $ref: string
}

export interface Parameter {
  readonly name: string
  readonly in: "query" | "path"
  readonly required: boolean
  readonly description: string
  readonly schema: Schema
}

interface MediaType {
  readonly schema: Schema
  readonly example?: unknown
}

export interface RequestBody {
  readonly description: string
  readonly required: boolean
  readonly content: Readonly<Record<string, MediaType>>
}

export interface Response {
  readonly description: string
  readonly content?: Readonly<Record<string, MediaType>>
}

export interface Operation {
  readonly tags: ReadonlyArray<string>
  readonly summary: string
  readonly description?: string
  readonly operationId: string
  readonly parameters?: ReadonlyArray<Reference | Parameter>
  readonly requestBody?: RequestBody
  readonly responses: Readonly<Record<string, Response | Reference>>
  readonly servers?: ReadonlyArray<{ readonly url: string }>
}

export type PathItem = Partial<Record<"get" | "post" | "patch" | "delete", Operation>>
export type Paths = Record<string, PathItem>

/** A document as cached: `servers` depends on the request and is added when it is served. */
export interface OpenApiDocument {
  readonly openapi: "3.1.1"
  readonly info: { readonly title: string; readonly description: string; readonly version: string }
  readonly servers?: ReadonlyArray<{ readonly url: string }>
  readonly security: ReadonlyArray<Record<string, ReadonlyArray<string>>>
  readonly tags?: ReadonlyArray<{ readonly name: string; readonly description?: string }>
  readonly paths: Paths
  readonly components: {
    readonly securitySchemes: Readonly<Record<string, SecurityScheme>>
    readonly schemas?: Readonly<Record<string, Schema>>
    readonly parameters?: Readonly<Record<string, Parameter>>
    readonly responses?: Readonly<Record<string, Response>>
  }
}

interface SecurityScheme {
  readonly type: "http"
  readonly scheme: "bearer"
  readonly bearerFormat: string
  readonly description: string
}

/** Twenty's API version string, unchanged so clients comparing it see the same value. */
export const API_VERSION = "v0.1"

export const capitalize = (name: string) => name.charAt(0).toUpperCase() + name.slice(1)

export const schemaRef = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` })
export const parameterRef = (name: string): Reference => ({ $ref: `#/components/parameters/${name}` })
const responseRef = (status: ErrorStatus): Reference => ({ $ref: `#/components/responses/${status}` })

export const uuid: Schema = { type: "string", format: "uuid" }
export const dateTime: Schema = { type: "string", format: "date-time" }

/** The same schema, also accepting null (JSON Schema 2020-12 style: `type: ["string", "null"]`). */
export const orNull = (schema: Schema): Schema => {
  if (schema.$ref) return { anyOf: [schema, { type: "null" }] }
  if (schema.type === undefined) return schema
  const types = typeof schema.type === "string" ? [schema.type] : schema.type
  return { ...schema, type: [...types, "null"], ...(schema.enum ? { enum: [...schema.enum, null] } : {}) }
}

export const withDescription = (schema: Schema, description: string | null | undefined): Schema =>
  description ? { ...schema, description } : schema

/** An object schema whose listed properties are all present. */
export const objectOf = (properties: Record<string, Schema>, required = Object.keys(properties)): Schema => ({
  type: "object",
  properties,
  ...(required.length > 0 ? { required } : {})
})

export const arrayOf = (items: Schema): Schema => ({ type: "array", items })

/** Twenty's envelope: `{ data: { <key>: value } }`. */
export const dataEnvelope = (key: string, value: Schema): Schema => objectOf({ data: objectOf({ [key]: value }) })

export const pageInfo: Schema = objectOf({
  hasNextPage: { type: "boolean" },
  hasPreviousPage: { type: "boolean" },
  startCursor: { type: ["string", "null"] },
  endCursor: { type: ["string", "null"] }
})

/** A list envelope: `{ data: { <key>: [...] }, pageInfo, totalCount }`. */
export const listEnvelope = (key: string, item: Schema): Schema =>
  objectOf({ data: objectOf({ [key]: arrayOf(item) }), pageInfo, totalCount: { type: "integer" } })

export const jsonBody = (schema: Schema, description = "body"): RequestBody => ({
  description,
  required: true,
  content: { "application/json": { schema } }
})

export const jsonResponse = (schema: Schema, description = "Successful operation"): Response => ({
  description,
  content: { "application/json": { schema } }
})

type ErrorStatus = "400" | "401" | "403" | "404" | "409"

const ERRORS: Record<ErrorStatus, { readonly description: string; readonly error: string; readonly message: string }> = {
  "400": { description: "Invalid input", error: "BadRequestException", message: "'filter' invalid for 'name[xx]'" },
  "401": { description: "Missing, invalid or expired token", error: "UnauthorizedException", message: "Token invalid." },
  "403": { description: "The token may not do this", error: "ForbiddenException", message: "This token is not bound to a workspace" },
  "404": { description: "Not found", error: "NotFoundException", message: "Record not found" },
  "409": { description: "A uniqueness rule would be broken", error: "ConflictException", message: "The name is not available" }
}

/** Twenty's REST error body, `{ statusCode, error, messages }`, one response per status. */
export const errorResponses = (): Record<string, Response> =>
  Object.fromEntries(
    Object.entries(ERRORS).map(([status, { description, error, message }]) => [
      status,
      {
        description,
        content: {
          "application/json": {
            schema: objectOf({
              statusCode: { type: "integer" },
              error: { type: "string" },
              messages: arrayOf({ type: "string" })
            }),
            example: { statusCode: Number(status), error, messages: [message] }
          }
        }
      }
    ])
  )

/** An operation's error responses, as references to `components.responses`. */
export const errors = (...statuses: ReadonlyArray<ErrorStatus>): Record<string, Reference> =>
  Object.fromEntries(statuses.map((status) => [status, responseRef(status)]))

const cursorParameter = (name: string, field: "endCursor" | "startCursor", direction: string): Parameter => ({
  name,
  in: "query",
  required: false,
  description: `Returns records ${direction} this cursor: the **${field}** of a previous response's **pageInfo**.`,
  schema: { type: "string" }
})

/** Parameters both documents use; `limit` bounds differ between them. */
export const pagingParameters = (limit: { readonly default: number; readonly maximum: number }): Record<string, Parameter> => ({
  idPath: { name: "id", in: "path", required: true, description: "Record id.", schema: uuid },
  limit: {
    name: "limit",
    in: "query",
    required: false,
    description: `How many records to return, at most ${limit.maximum} (larger values are clamped).`,
    schema: { type: "integer", minimum: 0, default: limit.default }
  },
  startingAfter: cursorParameter("starting_after", "endCursor", "after"),
  endingBefore: cursorParameter("ending_before", "startCursor", "before")
})

const bearerAuth: SecurityScheme = {
  type: "http",
  scheme: "bearer",
  bearerFormat: "JWT",
  description: "An API key or a user access token of the workspace, sent as `Authorization: Bearer <token>`."
}

/** The path serving a document itself, relative to the server root whatever the document's own server. */
const selfPath = (kind: "core" | "metadata"): PathItem => ({
  get: {
    tags: ["General"],
    summary: `Get this OpenAPI document (${kind})`,
    operationId: `getOpenApiSchema${capitalize(kind)}`,
    servers: [{ url: "/rest" }],
    responses: { "200": jsonResponse({ type: "object" }, "The OpenAPI document") }
  }
})

/** The parts common to both documents; each adds its paths, tags and components. */
export const baseDocument = (kind: "core" | "metadata", description: string): OpenApiDocument => ({
  openapi: "3.1.1",
  info: {
    title: kind === "core" ? "Score REST API: records" : "Score REST API: metadata",
    description,
    version: API_VERSION
  },
  security: [{ bearerAuth: [] }],
  paths: { [`/open-api/${kind}`]: selfPath(kind) },
  components: { securitySchemes: { bearerAuth } }
})
