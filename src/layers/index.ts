import type { SqlClient } from "@effect/sql"
import { Duration, Effect, Layer, Logger, Option, Redacted } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { ApiKeys, ApiKeysLive } from "../services/api-keys/index.js"
import { Auth, AuthLive } from "../services/auth/index.js"
import { EmailVerification, EmailVerificationLive } from "../services/auth/email-verification.js"
import { PasswordHasher, PasswordHasherLive } from "../services/auth/hasher.js"
import { PasswordReset, PasswordResetLive } from "../services/auth/password-reset.js"
import { Tokens, TokensLive } from "../services/auth/tokens.js"
import { SecretBox, SecretBoxLive } from "../services/auth/secret-box.js"
import { Sso, SsoLive } from "../services/auth/sso.js"
import { TwoFactor, TwoFactorLive } from "../services/auth/two-factor.js"
import { Cache, CacheMemory, CacheRedis } from "../platform/cache/index.js"
import { ResultCache, ResultCacheMemory, ResultCacheRedis } from "../platform/cache/results.js"
import { AppConfig, type AppConfigShape } from "../platform/config.js"
import { DatabaseEmbedded, DatabaseLive, type PgPool, type PgReads } from "../platform/database/index.js"
import { Health, HealthLive } from "../platform/health/index.js"
import { Files, FilesLive } from "../services/files/index.js"
import { FileStorage } from "../services/files/storage.js"
import { FileStorageLocal } from "../services/files/storage-local.js"
import { FileStorageS3 } from "../services/files/storage-s3.js"
import { Metadata, MetadataLive } from "../services/metadata/index.js"
import { WorkspaceProvisionerLive } from "../services/metadata/provisioner.js"
import { Permissions, PermissionsLive } from "../services/permissions/index.js"
import { Records, RecordsLive } from "../services/records/index.js"
import { Roles, RolesLive } from "../services/roles/index.js"
import { runMigrations } from "../platform/migrations/index.js"
import { loggerFor } from "../platform/logging.js"
import { ErrorReportingSentry } from "../platform/error-reporting.js"
import { TracingOtlp } from "../platform/tracing.js"
import { JobQueue, JobQueueMemory, JobQueueRedis } from "../platform/queue/index.js"
import { redisLayer } from "../platform/redis/index.js"
import { RateLimits, RateLimitsMemory, RateLimitsRedis } from "../services/rate-limits/index.js"
import { Revocations, RevocationsEmbedded, RevocationsLive } from "../services/revocations/index.js"
import { SchemaBuilder, SchemaBuilderLive } from "../http/graphql/data/schema/index.js"
import { Mailer, MailerLive, MailTransport, MailTransportLive } from "../services/mail/index.js"
import { Members, MembersLive } from "../services/members/index.js"
import { ApprovedAccessDomains, ApprovedAccessDomainsLive } from "../services/members/approved-access-domains.js"
import { Views, ViewsLive } from "../services/views/index.js"
import { Webhooks, WebhooksLive } from "../services/webhooks/index.js"
import { Workflows, WorkflowsLive } from "../services/workflows/index.js"
import { LogicFunctions, LogicFunctionsLive } from "../services/logic-functions/index.js"
import { ApplicationFunctionDependencies, ApplicationFunctionEnvironment, Applications, ApplicationsLive } from "../services/applications/index.js"
import { LogicFunctionSandboxProcesses } from "../services/logic-functions/sandbox/pool.js"
import { FunctionLogs, FunctionLogsLive } from "../services/logic-functions/logs.js"
import { Workspaces, WorkspacesLive } from "../services/workspace/index.js"
import { Imports, ImportsLive } from "../services/imports/index.js"
import { copyRowsWithCopy, copyRowsWithInserts } from "../platform/database/copy.js"
import { ResultCacheMarkingWrites } from "../platform/database/marking-writes.js"
import { ReadReplicasLive, ReadReplicasNone } from "../platform/database/replicas.js"
import { AuditLog } from "../services/audit/index.js"
import { AuditLogClickHouse } from "../services/audit/clickhouse.js"
import { AuditLogPostgres } from "../services/audit/postgres.js"

/** What every service stands on: configuration, PostgreSQL, cache, queue and token keys. */
export type Infrastructure =
  | AppConfig
  | SqlClient.SqlClient
  | PgPool
  | PgReads
  | Cache
  | ResultCache
  | JobQueue
  | RateLimits
  | Tokens
  | SecretBox
  | Health
  | FileStorage
  | PasswordHasher

export type Services =
  | Infrastructure
  | Revocations
  | Permissions
  | Workspaces
  | ApiKeys
  | Auth
  | Metadata
  | Records
  | SchemaBuilder
  | Webhooks
  | Roles
  | MailTransport
  | Mailer
  | Members
  | ApprovedAccessDomains
  | PasswordReset
  | EmailVerification
  | Views
  | Sso
  | TwoFactor
  | Workflows
  | LogicFunctions
  | FunctionLogs
  | Applications
  | Imports
  | Files
  | AuditLog

export class StartupError extends Error {}

/**
 * APP_SECRET signs every token. A shared deployment must set it; the embedded mode keeps a generated
 * one under DATA_DIR so tokens survive a restart.
 */
export const resolveAppSecret = (config: AppConfigShape) =>
  Effect.gen(function*() {
    if (Option.isSome(config.appSecret)) {
      if (Redacted.value(config.appSecret.value).length < 32) {
        return yield* Effect.fail(new StartupError("Invalid configuration: APP_SECRET must be at least 32 characters"))
      }
      return config.appSecret.value
    }
    if (Option.isSome(config.databaseUrl)) {
      return yield* Effect.fail(
        new StartupError("Invalid configuration: APP_SECRET is missing (required when DATABASE_URL is set)")
      )
    }
    const file = path.resolve(config.dataDir, "app-secret")
    return yield* Effect.sync(() => {
      fs.mkdirSync(path.dirname(file), { recursive: true })
      if (!fs.existsSync(file)) {
        fs.writeFileSync(file, crypto.getRandomValues(new Uint8Array(32)).toHex(), { mode: 0o600 })
      }
      return Redacted.make(fs.readFileSync(file, "utf8").trim())
    })
  })

/** Files on local disk under DATA_DIR/storage (or STORAGE_LOCAL_PATH), or in S3 with STORAGE_TYPE=s3. */
const fileStorage = (config: AppConfigShape) => {
  const { storage } = config
  if (storage.type === "local") {
    const root = Option.getOrElse(storage.localPath, () => path.join(config.dataDir, "storage"))
    return FileStorageLocal(root).pipe(Layer.tap(() => Effect.logInfo(`File storage: local disk at ${path.resolve(root)}`)))
  }
  return Layer.unwrapEffect(Option.match(storage.s3Name, {
    onNone: () => Effect.fail(new StartupError("Invalid configuration: STORAGE_S3_NAME is missing (required when STORAGE_TYPE=s3)")),
    onSome: (bucket) =>
      Effect.succeed(
        FileStorageS3({
          bucket,
          region: storage.s3Region,
          endpoint: storage.s3Endpoint,
          accessKeyId: storage.s3AccessKeyId,
          secretAccessKey: storage.s3SecretAccessKey
        }).pipe(Layer.tap(() => Effect.logInfo(`File storage: S3 bucket ${bucket}`)))
      )
  }))
}

/** SENTRY_DSN: unexpected errors logged anywhere reach Sentry (error-reporting.ts). */
const errorReporting = (config: AppConfigShape) =>
  Option.match(config.sentryDsn, {
    onNone: () => Layer.empty,
    onSome: (dsn) => ErrorReportingSentry(dsn, { environment: Option.getOrUndefined(config.sentryEnvironment) })
  })

/** OTEL_EXPORTER_OTLP_ENDPOINT: spans exported over OTLP/HTTP (tracing.ts). */
const tracing = (config: AppConfigShape) =>
  Option.match(config.otlpEndpoint, {
    onNone: () => Layer.empty,
    onSome: (endpoint) => TracingOtlp(endpoint.href, { serviceName: config.otelServiceName })
  })

/** The one place where Score chooses between live (PostgreSQL, Redis) and embedded (PGlite, memory) parts. */
export const infrastructure = (config: AppConfigShape, appSecret: Redacted.Redacted<string>) => {
  const database = Option.match(config.databaseUrl, {
    onNone: () => DatabaseEmbedded(config.dataDir),
    onSome: (url) =>
      Layer.provideMerge(
        DatabaseLive(url, {
          size: config.databasePoolSize,
          statementTimeout: config.databaseStatementTimeout,
          connectTimeout: config.databaseConnectTimeout,
          pgBouncer: config.databasePgBouncer
        }),
        Layer.effectDiscard(Effect.logInfo(`Database: PostgreSQL at ${safeHost(Redacted.value(url))}`))
      )
  })
  const cacheAndQueue = Option.match(redisLayer(config), {
    onNone: () =>
      Layer.mergeAll(CacheMemory, ResultCacheMemory, JobQueueMemory, RateLimitsMemory(config)).pipe(
        Layer.tap(() => Effect.logInfo("Cache and queue: in-memory (no REDIS_URL or REDIS_CLUSTER_NODES), rate limits per process"))
      ),
    onSome: (redis) =>
      Layer.mergeAll(CacheRedis, ResultCacheRedis, JobQueueRedis, RateLimitsRedis(config)).pipe(Layer.provideMerge(redis))
  })
  const modes = {
    database: Option.isSome(config.databaseUrl) ? "postgresql" : "embedded",
    redis: Option.isSome(config.redisClusterNodes) ? "redis-cluster" : Option.isSome(config.redisUrl) ? "redis" : "memory"
  }
  const migrated = Layer.effectDiscard(
    Effect.flatMap(runMigrations(), (applied) =>
      applied.length > 0 ? Effect.logInfo(`Migrations applied: ${applied.join(", ")}`) : Effect.void)
  )
  // One layer value in both places, so Sentry and the exporter are set up once.
  const loggers = Layer.mergeAll(Logger.minimumLogLevel(config.logLevel), loggerFor(config.logFormat), errorReporting(config), tracing(config))
  const base = Layer.mergeAll(
    loggers,
    Layer.succeed(AppConfig, config),
    TokensLive(appSecret),
    SecretBoxLive(appSecret),
    cacheAndQueue,
    database,
    fileStorage(config)
  )
  // DATABASE_READ_URL: read replicas beside a live primary; the result cache's bumps then mark each write.
  const replicas = Option.isNone(config.databaseUrl)
    ? config.databaseReadUrls.length === 0
      ? ReadReplicasNone
      : Layer.provideMerge(ReadReplicasNone, Layer.effectDiscard(Effect.logWarning("DATABASE_READ_URL is ignored without DATABASE_URL")))
    : ReadReplicasLive(config.databaseReadUrls, {
    size: config.databaseReadPoolSize,
    statementTimeout: config.databaseStatementTimeout,
    connectTimeout: config.databaseConnectTimeout,
    pgBouncer: config.databasePgBouncer,
    maxLagMs: config.databaseReadMaxLagMs,
    pollIntervalMs: config.databaseReadPollIntervalMs
  })
  const replicated = Layer.provideMerge(ResultCacheMarkingWrites, Layer.provideMerge(replicas, base))
  return Layer.provideMerge(Layer.mergeAll(HealthLive(modes), migrated, PasswordHasherLive), replicated).pipe(
    Layer.provide(loggers)
  )
}

/** The domain services, on whatever infrastructure is given. */
export const services = <E, R>(infra: Layer.Layer<Infrastructure, E, R>): Layer.Layer<Services, E, R> => {
  const workspaces = WorkspacesLive.pipe(Layer.provide(WorkspaceProvisionerLive))
  const domain = Layer.unwrapEffect(Effect.map(AppConfig, (config) =>
    RecordsLive({
      defaultPageSize: config.queryDefaultLimit,
      maxPageSize: config.queryMaxLimit,
      maxRecordsPerMutation: config.mutationMaxRecords,
      maxDepth: config.maxRelationDepth,
      maxRecordsPerQuery: config.maxRecordsPerQuery
    })
  )).pipe(
    Layer.provideMerge(Layer.mergeAll(AuthLive, MetadataLive)),
    Layer.provideMerge(Layer.mergeAll(workspaces, ApiKeysLive, PermissionsLive)),
    Layer.provideMerge(Layer.unwrapEffect(Effect.map(AppConfig, (config) =>
      Option.isSome(config.databaseUrl) ? RevocationsLive : RevocationsEmbedded)))
  )
  const mail = Layer.merge(MailTransportLive, MailerLive)
  // The audit log in ClickHouse with CLICKHOUSE_URL; otherwise in PostgreSQL, so the embedded start needs nothing.
  const auditLog = Layer.unwrapEffect(Effect.map(AppConfig, (config) =>
    Option.match(config.clickhouseUrl, {
      onNone: () => AuditLogPostgres,
      onSome: (url) =>
        AuditLogClickHouse(Redacted.value(url)).pipe(
          Layer.tap(() => Effect.logInfo(`Audit log: ClickHouse at ${new URL(Redacted.value(url)).host}`))
        )
    })))
  const logicFunctions = LogicFunctionsLive.pipe(
    Layer.provide(Layer.merge(ApplicationFunctionEnvironment, ApplicationFunctionDependencies).pipe(Layer.provide(domain))),
    Layer.provide(Layer.unwrapEffect(Effect.map(AppConfig, (config) =>
    LogicFunctionSandboxProcesses({
      cpuSeconds: Math.max(1, Math.ceil(Duration.toSeconds(config.logicFunctionCpuTime))),
      memoryMb: config.logicFunctionMemoryMb,
      allowNetwork: config.logicFunctionAllowNetwork,
      spares: config.logicFunctionSpareProcesses,
      maxConcurrent: config.logicFunctionMaxConcurrency
    })))), Layer.provideMerge(FunctionLogsLive))
  return Layer.mergeAll(
    SchemaBuilderLive,
    WebhooksLive,
    RolesLive,
    PasswordResetLive,
    EmailVerificationLive,
    ViewsLive,
    SsoLive,
    ApprovedAccessDomainsLive,
    TwoFactorLive,
    WorkflowsLive,
    // PGlite's socket does not carry COPY's sub-protocol: the embedded database stages with INSERTs, one
    // batch at a time on its one session. A live pool keeps a connection for other requests.
    Layer.unwrapEffect(Effect.map(AppConfig, (config) =>
      Option.isSome(config.databaseUrl)
        ? ImportsLive(copyRowsWithCopy, Math.max(1, Math.min(config.importConcurrency, config.databasePoolSize - 1)), Duration.toMillis(config.importBodyTimeout))
        : ImportsLive(copyRowsWithInserts, 1, Duration.toMillis(config.importBodyTimeout)))),
    FilesLive,
    auditLog,
    ApplicationsLive.pipe(Layer.provide(Layer.mergeAll(FilesLive, RolesLive, ViewsLive)))
  ).pipe(
    // SSO signs members up and in through Members.
    Layer.provideMerge(MembersLive),
    Layer.provideMerge(Layer.mergeAll(domain, mail, logicFunctions)),
    Layer.provideMerge(infra)
  )
}

const safeHost = (url: string) => {
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || 5432}${u.pathname}`
  } catch {
    return "(unparsable URL)"
  }
}
