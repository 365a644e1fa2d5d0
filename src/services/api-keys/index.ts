import { SqlClient, type SqlError } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import type { ApiKey } from "../../domain/auth.js"
import { BadUserInput, NotFound } from "../../domain/errors.js"
import { type SignedToken, Tokens } from "../auth/tokens.js"
import { Revocations } from "../revocations/index.js"
import { firstRow, jsonRows } from "../../platform/lib/sql-rows.js"
import { ADMIN_ROLE_STANDARD_ID } from "../workspace/index.js"
import { isUuid } from "../../platform/lib/uuid.js"

export interface CreateApiKeyInput {
  readonly name: string
  readonly expiresAt: string
  readonly roleId?: string | null | undefined
}

export interface UpdateApiKeyInput {
  readonly id: string
  readonly name?: string | null | undefined
  readonly expiresAt?: string | null | undefined
  readonly revokedAt?: string | null | undefined
}

type Failure = SqlError.SqlError | NotFound | BadUserInput

/** Every operation takes the caller's workspace: a key of another workspace is simply not found. */
export interface ApiKeysShape {
  readonly list: (workspaceId: string) => Effect.Effect<ReadonlyArray<ApiKey>, SqlError.SqlError>
  readonly get: (workspaceId: string, id: string) => Effect.Effect<ApiKey, Failure>
  readonly create: (workspaceId: string, input: CreateApiKeyInput) => Effect.Effect<ApiKey, Failure>
  readonly update: (workspaceId: string, input: UpdateApiKeyInput) => Effect.Effect<ApiKey, Failure>
  readonly revoke: (workspaceId: string, id: string) => Effect.Effect<ApiKey, Failure>
  /** The secret is this JWT; it is returned once and never stored. */
  readonly generateToken: (workspaceId: string, id: string, expiresAt: string) => Effect.Effect<SignedToken, Failure>
  /**
   * For the request pipeline: cached under the revocation epoch, so an update or revocation is seen by
   * every instance within the epoch's bound even when the cache invalidation fails.
   */
  readonly findById: (id: string) => Effect.Effect<ApiKey | null, SqlError.SqlError>
}

export class ApiKeys extends Context.Tag("score/ApiKeys")<ApiKeys, ApiKeysShape>() {}

/** Credential cache key of one API key; a change to the key or its role goes through `Revocations.revoking` with it. */
export const apiKeyCacheKey = (id: string) => `apiKey:${id}`
/** Short: an entry outlives no revocation anyway (see Revocations); this bounds the memory it holds. */
const CACHE_TTL = "10 minutes"

const parseDate = (value: string, field: string) => {
  const date = new Date(value)
  return Number.isNaN(date.getTime())
    ? Effect.fail(new BadUserInput({ message: `${field} must be an ISO 8601 date, got "${value}"`, field }))
    : Effect.succeed(date)
}

const checkId = (id: string, field = "id") =>
  isUuid(id) ? Effect.void : Effect.fail(new BadUserInput({ message: `${field} must be a UUID, got "${id}"`, field }))

export const ApiKeysLive = Layer.effect(
  ApiKeys,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const revocations = yield* Revocations
    const tokens = yield* Tokens
    const notFound = new NotFound({ message: "API key not found" })

    const get = (workspaceId: string, id: string) =>
      Effect.gen(function*() {
        yield* checkId(id)
        const key = firstRow<ApiKey>(
          yield* sql`SELECT * FROM core."apiKey" WHERE id = ${id} AND "workspaceId" = ${workspaceId}`
        )
        return key ?? (yield* notFound)
      })

    const validName = (name: string) =>
      name.trim().length > 0 && name.length <= 255
        ? Effect.succeed(name.trim())
        : Effect.fail(new BadUserInput({ message: "name must be 1 to 255 characters", field: "name" }))

    const create = (workspaceId: string, input: CreateApiKeyInput) =>
      Effect.gen(function*() {
        const name = yield* validName(input.name)
        const expiresAt = yield* parseDate(input.expiresAt, "expiresAt")
        if (input.roleId) yield* checkId(input.roleId, "roleId")
        const [role] = input.roleId
          ? yield* sql<{ id: string }>`SELECT id FROM core.role
              WHERE id = ${input.roleId} AND "workspaceId" = ${workspaceId} AND "canBeAssignedToApiKeys"`
          : yield* sql<{ id: string }>`SELECT id FROM core.role
              WHERE "workspaceId" = ${workspaceId} AND "standardId" = ${ADMIN_ROLE_STANDARD_ID}`
        if (!role) return yield* new BadUserInput({ message: `Role ${input.roleId} not found`, field: "roleId" })
        const rows = yield* sql`INSERT INTO core."apiKey" ("workspaceId", name, "expiresAt", "roleId")
                                VALUES (${workspaceId}, ${name}, ${expiresAt}, ${role.id}) RETURNING *`
        return firstRow<ApiKey>(rows)!
      })

    const update = (workspaceId: string, input: UpdateApiKeyInput) =>
      Effect.gen(function*() {
        yield* checkId(input.id)
        const name = input.name == null ? null : yield* validName(input.name)
        const expiresAt = input.expiresAt == null ? null : yield* parseDate(input.expiresAt, "expiresAt")
        const revokedAt = input.revokedAt == null ? null : yield* parseDate(input.revokedAt, "revokedAt")
        // Any change (expiry, revokedAt, even the name) is handled as a revocation: it is rare.
        return yield* revocations.revoking(
          Effect.flatMap(
            sql`UPDATE core."apiKey" SET
                name = COALESCE(${name}, name),
                "expiresAt" = COALESCE(${expiresAt}, "expiresAt"),
                "revokedAt" = COALESCE(${revokedAt}, "revokedAt"),
                "updatedAt" = now()
              WHERE id = ${input.id} AND "workspaceId" = ${workspaceId} RETURNING *`,
            (rows) => Effect.fromNullable(firstRow<ApiKey>(rows)).pipe(Effect.mapError(() => notFound))
          ),
          { keys: (key) => [apiKeyCacheKey(key.id)] }
        )
      })

    const revoke = (workspaceId: string, id: string) =>
      Effect.gen(function*() {
        yield* checkId(id)
        return yield* revocations.revoking(
          Effect.flatMap(
            sql`UPDATE core."apiKey" SET "revokedAt" = COALESCE("revokedAt", now()), "updatedAt" = now()
                WHERE id = ${id} AND "workspaceId" = ${workspaceId} RETURNING *`,
            (rows) => Effect.fromNullable(firstRow<ApiKey>(rows)).pipe(Effect.mapError(() => notFound))
          ),
          { keys: (key) => [apiKeyCacheKey(key.id)] }
        )
      })

    const generateToken = (workspaceId: string, id: string, expiresAtInput: string) =>
      Effect.gen(function*() {
        const key = yield* get(workspaceId, id)
        if (key.revokedAt) return yield* new BadUserInput({ message: "API key is revoked", field: "apiKeyId" })
        const requested = yield* parseDate(expiresAtInput, "expiresAt")
        const keyExpiry = new Date(key.expiresAt)
        const until = requested < keyExpiry ? requested : keyExpiry
        if (until.getTime() <= Date.now()) {
          return yield* new BadUserInput({ message: "expiresAt must be in the future", field: "expiresAt" })
        }
        return yield* tokens.sign({ sub: workspaceId, type: "API_KEY", workspaceId, jti: key.id }, { until })
      })

    return {
      list: (workspaceId) =>
        Effect.map(
          sql`SELECT * FROM core."apiKey" WHERE "workspaceId" = ${workspaceId} ORDER BY "createdAt"`,
          jsonRows<ApiKey>
        ),
      get,
      create,
      update,
      revoke,
      generateToken,
      findById: (id) =>
        isUuid(id)
          ? revocations.credential(
            apiKeyCacheKey(id),
            Effect.map(sql`SELECT * FROM core."apiKey" WHERE id = ${id}`, firstRow<ApiKey>),
            { ttl: CACHE_TTL }
          )
          : Effect.succeed(null)
    }
  })
)
