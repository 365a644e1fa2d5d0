import { availableParallelism } from "node:os"
import { Config, ConfigError, Context, Duration, Effect, Either, Layer, LogLevel, Option, Redacted } from "effect"
import { parseTrustedProxies } from "./lib/trusted-proxies.js"

/** Durations in Twenty's style ("30m", "60d", "15s") or Effect's ("30 minutes"). */
const parseDuration = (input: string): Either.Either<Duration.Duration, string> => {
  const short = /^(\d+)\s*(ms|s|m|h|d)$/.exec(input.trim())
  if (short) {
    const n = Number(short[1])
    const unit = { ms: "millis", s: "seconds", m: "minutes", h: "hours", d: "days" }[short[2] as "ms"] as
      "millis"
    return Either.right(Duration.decode(`${n} ${unit}`))
  }
  const decoded = Duration.decodeUnknown(input.trim())
  return Option.match(decoded, {
    onNone: () => Either.left(`expected a duration such as "30m" or "15 minutes", got "${input}"`),
    onSome: Either.right
  })
}

const duration = (name: string, fallback: string, minMillis = 0) =>
  Config.string(name).pipe(
    Config.withDefault(fallback),
    Config.mapOrFail((raw) =>
      Either.mapLeft(
        Either.filterOrLeft(parseDuration(raw), (d) => Duration.toMillis(d) >= minMillis, () => `expected at least ${minMillis}ms`),
        (message) => ConfigError.InvalidData([name], message)
      )
    )
  )

const byteSize = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    Config.validate({ message: "expected a positive number of bytes", validation: (n) => n > 0 })
  )

const positive = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    Config.validate({ message: "expected a positive integer", validation: (n) => n > 0 })
  )

export interface ClusterNode {
  readonly host: string
  readonly port: number
}

/** `host:port,host:port` (REDIS_CLUSTER_NODES, `[v6]:port` too); undefined when a part is not of that form. */
export const parseClusterNodes = (text: string): ReadonlyArray<ClusterNode> | undefined => {
  const parts = text.split(",").map((part) => part.trim()).filter((part) => part !== "")
  const nodes = parts.flatMap((part): Array<ClusterNode> => {
    const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(part)
    const port = Number(match?.[2])
    return match && port > 0 && port < 65536 ? [{ host: match[1]!.replace(/^\[|\]$/g, ""), port }] : []
  })
  return nodes.length > 0 && nodes.length === parts.length ? nodes : undefined
}

const clusterNodes = (name: string) =>
  Config.string(name).pipe(
    Config.mapOrFail((raw) => {
      const nodes = parseClusterNodes(raw)
      return nodes ? Either.right(nodes) : Either.left(ConfigError.InvalidData([name], `expected host:port,host:port,..., got "${raw}"`))
    })
  )

export const appConfig = Config.all({
  port: Config.port("PORT").pipe(Config.withDefault(3000)),
  host: Config.string("HOST").pipe(Config.withDefault("0.0.0.0")),
  // SO_REUSEPORT: a new process binds the port while the old one still serves (rolling restart in place).
  serverReusePort: Config.boolean("SERVER_REUSE_PORT").pipe(Config.withDefault(false)),
  databaseUrl: Config.option(Config.redacted("DATABASE_URL")),
  // The process's connections to the primary, both pools together (database/budget.ts): 10 lets 3 APIs and
  // 2 workers (50) share a server of max_connections 100 with room for migrations, psql and a replica.
  databasePoolSize: Config.integer("DATABASE_POOL_SIZE").pipe(
    Config.withDefault(10),
    Config.validate({ message: "expected at least 2", validation: (n) => n >= 2 })
  ),
  /** Read replicas, comma-separated URLs (database/replicas.ts). */
  databaseReadUrls: Config.string("DATABASE_READ_URL").pipe(
    Config.withDefault(""),
    Config.map((raw) => raw.split(",").map((url) => url.trim()).filter((url) => url.length > 0).map((url) => Redacted.make(url)))
  ),
  databaseReadPoolSize: Config.integer("DATABASE_READ_POOL_SIZE").pipe(
    Config.withDefault(10),
    Config.validate({ message: "expected at least 2", validation: (n) => n >= 2 })
  ),
  databaseReadMaxLagMs: positive("DATABASE_READ_MAX_LAG_MS", 5_000),
  databaseReadPollIntervalMs: Config.integer("DATABASE_READ_POLL_INTERVAL_MS").pipe(
    Config.withDefault(1_000),
    Config.validate({ message: "expected at least 50", validation: (n) => n >= 50 })
  ),
  // Behind PgBouncer in transaction mode: no named prepared statements, no timeouts sent at connection start.
  databasePgBouncer: Config.boolean("DATABASE_PGBOUNCER").pipe(Config.withDefault(false)),
  databaseStatementTimeout: duration("DATABASE_STATEMENT_TIMEOUT", "15s"),
  databaseConnectTimeout: duration("DATABASE_CONNECT_TIMEOUT", "5s"),
  redisUrl: Config.option(Config.redacted("REDIS_URL")),
  redisKeyPrefix: Config.string("REDIS_KEY_PREFIX").pipe(Config.withDefault("score:")),
  redisClusterNodes: Config.option(clusterNodes("REDIS_CLUSTER_NODES")),
  redisClusterWaitReplicas: Config.integer("REDIS_CLUSTER_WAIT_REPLICAS").pipe(
    Config.withDefault(1),
    Config.validate({ message: "expected 0 or more replicas", validation: (n) => n >= 0 })
  ),
  // Above WAIT's 250 ms (an enqueue's replica wait) with room for a few queued behind it.
  redisCommandTimeout: duration("REDIS_COMMAND_TIMEOUT", "5s", 1000),
  appSecret: Config.option(Config.redacted("APP_SECRET")),
  accessTokenTtl: duration("ACCESS_TOKEN_EXPIRES_IN", "30m"),
  refreshTokenTtl: duration("REFRESH_TOKEN_EXPIRES_IN", "60d"),
  loginTokenTtl: duration("LOGIN_TOKEN_EXPIRES_IN", "15m"),
  workspaceAgnosticTokenTtl: duration("WORKSPACE_AGNOSTIC_TOKEN_EXPIRES_IN", "30m"),
  revocationCheckInterval: duration("REVOCATION_CHECK_INTERVAL", "1s", 10),
  logLevel: Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info)),
  logFormat: Config.literal("text", "json")("LOG_FORMAT").pipe(Config.withDefault("text" as const)),
  metricsToken: Config.option(Config.redacted("METRICS_TOKEN").pipe(
    Config.validate({ message: "expected at least 16 characters", validation: (token) => Redacted.value(token).length >= 16 })
  )),
  metricsPort: Config.option(Config.port("METRICS_PORT")),
  sentryDsn: Config.option(Config.redacted("SENTRY_DSN")),
  sentryEnvironment: Config.option(Config.string("SENTRY_ENVIRONMENT")),
  otlpEndpoint: Config.option(Config.url("OTEL_EXPORTER_OTLP_ENDPOINT")),
  otelServiceName: Config.string("OTEL_SERVICE_NAME").pipe(Config.withDefault("score")),
  clickhouseUrl: Config.option(Config.redacted("CLICKHOUSE_URL").pipe(
    Config.validate({ message: "expected an http(s) URL", validation: (url) => /^https?:\/\/[^\s]+$/.test(Redacted.value(url)) })
  )),
  dataDir: Config.string("DATA_DIR").pipe(Config.withDefault(".data")),
  frontendUrl: Config.url("FRONTEND_URL").pipe(Config.withDefault(new URL("http://localhost:3001"))),
  corsOrigins: Config.string("CORS_ORIGINS").pipe(Config.withDefault("*")),
  trustedProxies: Config.string("TRUSTED_PROXIES").pipe(
    Config.withDefault(""),
    Config.mapOrFail((raw) =>
      Either.try({
        try: () => parseTrustedProxies(raw),
        catch: () => ConfigError.InvalidData(["TRUSTED_PROXIES"], `expected comma-separated addresses or CIDR ranges, got "${raw}"`)
      })
    )
  ),
  maxBodyBytes: byteSize("MAX_BODY_SIZE", 10 * 1024 * 1024),
  importMaxBodyBytes: byteSize("IMPORT_MAX_BODY_SIZE", 1024 * 1024 * 1024),
  importConcurrency: positive("IMPORT_CONCURRENCY", 2),
  importBodyTimeout: duration("IMPORT_BODY_TIMEOUT", "8s", 100),
  shutdownTimeout: duration("SHUTDOWN_TIMEOUT", "10s"),
  shutdownDrain: duration("SHUTDOWN_DRAIN", "0s"),
  schemaSharing: Config.boolean("SCHEMA_SHARING").pipe(Config.withDefault(true)),
  schemaCacheMaxMb: positive("SCHEMA_CACHE_MAX_MB", 64),
  metadataCacheMaxMb: positive("METADATA_CACHE_MAX_MB", 32),
  /** No CPU used for this long after a burst: one full collection hands the burst's memory back (0: never). */
  idleCollectAfter: duration("IDLE_COLLECT_AFTER", "5s"),
  /**
   * While working: a full collection once the JS heap has grown this many MiB since the last one (0: never).
   * Unset: each process's own default (GrowthCollectorLive: the API 32, the worker 16).
   */
  heapCollectGrowthMb: Config.option(Config.integer("HEAP_COLLECT_GROWTH_MB")),
  queryDefaultLimit: Config.integer("QUERY_DEFAULT_LIMIT_RECORDS").pipe(Config.withDefault(60)),
  queryMaxLimit: Config.integer("QUERY_MAX_RECORDS").pipe(Config.withDefault(200)),
  mutationMaxRecords: Config.integer("MUTATION_MAXIMUM_AFFECTED_RECORDS").pipe(Config.withDefault(200)),
  maxRelationDepth: Config.integer("QUERY_MAX_RELATION_DEPTH").pipe(Config.withDefault(4)),
  maxRecordsPerQuery: Config.integer("QUERY_MAX_COMPLEXITY").pipe(Config.withDefault(1_000_000)),
  queryMaxRequestRecords: Config.integer("QUERY_MAX_REQUEST_RECORDS").pipe(Config.withDefault(100_000)),
  queryMaxRequestValues: Config.integer("QUERY_MAX_REQUEST_VALUES").pipe(Config.withDefault(1_000_000)),
  queryMaxDocumentBytes: byteSize("QUERY_MAX_DOCUMENT_SIZE", 128 * 1024),
  queryMaxRootFields: Config.integer("QUERY_MAX_ROOT_FIELDS").pipe(Config.withDefault(100)),
  queryMaxAliases: Config.integer("QUERY_MAX_ALIASES").pipe(Config.withDefault(500)),
  queryMaxFields: Config.integer("QUERY_MAX_FIELDS").pipe(Config.withDefault(5_000)),
  queryMaxDepth: Config.integer("QUERY_MAX_DEPTH").pipe(Config.withDefault(20)),
  isSignUpDisabled: Config.boolean("IS_SIGN_UP_DISABLED").pipe(Config.withDefault(false)),
  // Twenty's switch (its default is false): off, a new workspace is made only while none exists.
  isMultiWorkspaceEnabled: Config.boolean("IS_MULTIWORKSPACE_ENABLED").pipe(Config.withDefault(true)),
  signUpMaxPerAddressPerHour: Config.integer("SIGN_UP_MAX_PER_IP_PER_HOUR").pipe(Config.withDefault(20)),
  /** Standard-model schemas kept made ahead; a new workspace renames one instead of running its DDL (0: none). */
  workspaceSpareSchemas: Config.integer("WORKSPACE_SPARE_SCHEMAS").pipe(
    Config.withDefault(0),
    Config.validate({ message: "expected 0 or a positive integer", validation: (n) => n >= 0 })
  ),
  workspaceCreationMaxPerMinute: Config.integer("WORKSPACE_CREATION_MAX_PER_MINUTE").pipe(Config.withDefault(10)),
  // Half the cores: argon2 never takes the cores the data APIs need (bench/sign-in-flood.ts).
  passwordHashConcurrency: Config.integer("PASSWORD_HASH_CONCURRENCY").pipe(
    Config.withDefault(Math.max(1, Math.floor(availableParallelism() / 2))),
    Config.validate({ message: "expected at least 1", validation: (n) => n >= 1 })
  ),
  passwordHashQueue: Config.integer("PASSWORD_HASH_QUEUE").pipe(Config.withDefault(100)),
  // A low-priority child process (hasher-process.ts), or the server's own threads.
  passwordHasher: Config.literal("process", "inline")("PASSWORD_HASHER").pipe(Config.withDefault("process" as const)),
  passwordHashTimeout: duration("PASSWORD_HASH_TIMEOUT", "30s", 100),
  apiRateLimitingShortTtlMs: positive("API_RATE_LIMITING_SHORT_TTL_IN_MS", 1000),
  apiRateLimitingShortLimit: positive("API_RATE_LIMITING_SHORT_LIMIT", 100),
  apiRateLimitingLongTtlMs: positive("API_RATE_LIMITING_LONG_TTL_IN_MS", 60_000),
  apiRateLimitingLongLimit: positive("API_RATE_LIMITING_LONG_LIMIT", 100),
  signInMaxAttemptsPerAddressPerMinute: positive("SIGN_IN_MAX_ATTEMPTS_PER_IP_PER_MINUTE", 30),
  signInMaxFailuresPerAccount: positive("SIGN_IN_MAX_FAILURES_PER_ACCOUNT", 5),
  signInBackoff: duration("SIGN_IN_BACKOFF", "1m", 1000),
  signInBackoffMax: duration("SIGN_IN_BACKOFF_MAX", "1h", 1000),
  passwordResetMaxPerAccountPerHour: positive("PASSWORD_RESET_MAX_PER_ACCOUNT_PER_HOUR", 5),
  webhookTimeout: duration("WEBHOOK_TIMEOUT", "5s"),
  webhookAllowPrivateAddresses: Config.boolean("WEBHOOK_ALLOW_PRIVATE_ADDRESSES").pipe(Config.withDefault(false)),
  messagingAllowPrivateAddresses: Config.boolean("MESSAGING_ALLOW_PRIVATE_ADDRESSES").pipe(Config.withDefault(false)),
  workflowMaxRunningPerWorkspace: positive("WORKFLOW_MAX_RUNNING_PER_WORKSPACE", 10),
  workflowRunStaleAfter: duration("WORKFLOW_RUN_STALE_AFTER", "1h", 1000),
  workflowRunsKeptPerWorkflow: positive("WORKFLOW_RUNS_KEPT_PER_WORKFLOW", 1000),
  logicFunctionTimeout: duration("LOGIC_FUNCTION_TIMEOUT", "60s", 100),
  logicFunctionCpuTime: duration("LOGIC_FUNCTION_CPU_TIME_LIMIT", "10s", 1000),
  // Address space (RLIMIT_AS): Bun itself needs about 300 MB of it to start.
  logicFunctionMemoryMb: Config.integer("LOGIC_FUNCTION_MEMORY_LIMIT_MB").pipe(
    Config.withDefault(512),
    Config.validate({ message: "expected at least 384 (Bun needs about 300 MB of address space to start)", validation: (n) => n >= 384 })
  ),
  logicFunctionAllowNetwork: Config.boolean("LOGIC_FUNCTION_ALLOW_NETWORK").pipe(Config.withDefault(false)),
  logicFunctionSpareProcesses: Config.integer("LOGIC_FUNCTION_SPARE_PROCESSES").pipe(
    Config.withDefault(1),
    Config.validate({ message: "expected 0 or more", validation: (n) => n >= 0 })
  ),
  logicFunctionMaxConcurrency: positive("LOGIC_FUNCTION_MAX_CONCURRENCY", 4),
  appDependenciesInstallTimeout: duration("APP_DEPENDENCIES_INSTALL_TIMEOUT", "120s", 1000),
  invitationTokenTtl: duration("INVITATION_TOKEN_EXPIRES_IN", "30d", 1000),
  passwordResetTokenTtl: duration("PASSWORD_RESET_TOKEN_EXPIRES_IN", "5m", 1000),
  emailVerificationTokenTtl: duration("EMAIL_VERIFICATION_TOKEN_EXPIRES_IN", "1h", 1000),
  isEmailVerificationRequired: Config.boolean("IS_EMAIL_VERIFICATION_REQUIRED").pipe(Config.withDefault(false)),
  serverUrl: Config.url("SERVER_URL").pipe(Config.withDefault(new URL("http://localhost:3000"))),
  google: Config.all({
    enabled: Config.boolean("AUTH_GOOGLE_ENABLED").pipe(Config.withDefault(false)),
    clientId: Config.option(Config.string("AUTH_GOOGLE_CLIENT_ID")),
    clientSecret: Config.option(Config.redacted("AUTH_GOOGLE_CLIENT_SECRET")),
    callbackUrl: Config.option(Config.url("AUTH_GOOGLE_CALLBACK_URL")),
    issuer: Config.url("AUTH_GOOGLE_ISSUER").pipe(Config.withDefault(new URL("https://accounts.google.com")))
  }),
  microsoft: Config.all({
    enabled: Config.boolean("AUTH_MICROSOFT_ENABLED").pipe(Config.withDefault(false)),
    clientId: Config.option(Config.string("AUTH_MICROSOFT_CLIENT_ID")),
    clientSecret: Config.option(Config.redacted("AUTH_MICROSOFT_CLIENT_SECRET")),
    callbackUrl: Config.option(Config.url("AUTH_MICROSOFT_CALLBACK_URL")),
    issuer: Config.url("AUTH_MICROSOFT_ISSUER").pipe(
      Config.withDefault(new URL("https://login.microsoftonline.com/common/v2.0"))
    )
  }),
  ssoAllowPrivateIssuers: Config.boolean("SSO_ALLOW_PRIVATE_ISSUERS").pipe(Config.withDefault(false)),
  oauthSignInTtl: duration("OAUTH_SIGN_IN_EXPIRES_IN", "10m", 1000),
  storage: Config.all({
    type: Config.literal("local", "s3")("STORAGE_TYPE").pipe(Config.withDefault("local" as const)),
    localPath: Config.option(Config.string("STORAGE_LOCAL_PATH")),
    s3Name: Config.option(Config.string("STORAGE_S3_NAME")),
    s3Region: Config.string("STORAGE_S3_REGION").pipe(Config.withDefault("us-east-1")),
    s3Endpoint: Config.option(Config.string("STORAGE_S3_ENDPOINT")),
    s3AccessKeyId: Config.option(Config.string("STORAGE_S3_ACCESS_KEY_ID")),
    s3SecretAccessKey: Config.option(Config.redacted("STORAGE_S3_SECRET_ACCESS_KEY"))
  }),
  fileMaxSize: byteSize("FILE_MAX_SIZE", 100 * 1024 * 1024),
  pictureMaxSize: byteSize("FILE_PICTURE_MAX_SIZE", 10 * 1024 * 1024),
  /** Extensions FilesField uploads may have, comma-separated ("pdf,png"); empty: any. */
  fileAllowedExtensions: Config.string("FILE_ALLOWED_EXTENSIONS").pipe(Config.withDefault("")),
  fileTokenTtl: duration("FILE_TOKEN_EXPIRES_IN", "1d", 1000),
  // Pictures' URLs are stored in records (workspaceMember.avatarUrl); Twenty never expires their tokens.
  pictureTokenTtl: duration("FILE_PICTURE_TOKEN_EXPIRES_IN", "3650d", 1000),
  fileUploadTtl: duration("FILE_UPLOAD_EXPIRES_IN", "15m", 1000),
  email: Config.all({
    driver: Config.option(Config.literal("SMTP", "LOGGER", "smtp", "logger")("EMAIL_DRIVER")),
    smtpHost: Config.option(Config.string("EMAIL_SMTP_HOST")),
    smtpPort: Config.port("EMAIL_SMTP_PORT").pipe(Config.withDefault(587)),
    smtpUser: Config.option(Config.string("EMAIL_SMTP_USER")),
    smtpPassword: Config.option(Config.redacted("EMAIL_SMTP_PASSWORD")),
    smtpNoTls: Config.boolean("EMAIL_SMTP_NO_TLS").pipe(Config.withDefault(false)),
    fromAddress: Config.string("EMAIL_FROM_ADDRESS").pipe(Config.withDefault("noreply@yourdomain.com")),
    fromName: Config.string("EMAIL_FROM_NAME").pipe(Config.withDefault("Score"))
  })
})

export type AppConfigShape = Config.Config.Success<typeof appConfig> & {
  readonly appSecret: Option.Option<Redacted.Redacted<string>>
}

/** Redis is configured (a single server or a cluster): the cache, queue and rate limits are shared by every instance. */
export const usesRedis = (config: Pick<AppConfigShape, "redisUrl" | "redisClusterNodes">) =>
  Option.isSome(config.redisUrl) || Option.isSome(config.redisClusterNodes)

export class AppConfig extends Context.Tag("score/AppConfig")<AppConfig, AppConfigShape>() {
  static readonly layer = Layer.effect(AppConfig, appConfig)
  static readonly make = (overrides: Partial<AppConfigShape> = {}) =>
    Effect.map(appConfig, (config) => ({ ...config, ...overrides }))
}

/** One line naming each offending variable, e.g. `PORT: Expected an integer value but received abc`. */
export const formatConfigError = (error: ConfigError.ConfigError): string => {
  const lines: Array<string> = []
  const walk = (e: ConfigError.ConfigError): void => {
    switch (e._op) {
      case "And":
      case "Or":
        walk(e.left)
        walk(e.right)
        return
      case "MissingData":
        lines.push(`${e.path.join(".")} is missing`)
        return
      default:
        lines.push(`${e.path.join(".")}: ${e.message}`)
    }
  }
  walk(error)
  return `Invalid configuration: ${[...new Set(lines)].join("; ")}`
}
