/**
 * ClickHouse DDL, written for 18.16 (Debian's package) and later: no DateTime64 (times are UInt64
 * milliseconds beside a DateTime('UTC') where Twenty has its timestamp), no LowCardinality (18.16 wants an
 * experimental setting), no JSON type (properties are JSON text), no query parameters (see `literal`).
 *
 * Idempotent inserts: 18.16 has no insert_deduplication_token, and a retried batch is not byte-identical
 * (it may hold other events), so block deduplication cannot help. Every table is a ReplacingMergeTree whose
 * sorting key ends with the event's id, made where the event happened: a row inserted twice collapses in
 * the background merges, and every read uses FINAL, so an answer never counts a retried row twice.
 */
export const CLICKHOUSE_TABLES: ReadonlyArray<string> = [
  `CREATE TABLE IF NOT EXISTS auditLog (
    id String, workspaceId String, kind String, actorType String, actorId String, actorName String,
    objectName String, recordId String, details String, occurredAt UInt64,
    day Date MATERIALIZED toDate(intDiv(occurredAt, 1000))
  ) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (workspaceId, occurredAt, id)`,
  `CREATE TABLE IF NOT EXISTS workspaceEvent (
    id String, event String, timestamp DateTime('UTC'), occurredAt UInt64, userId String, workspaceId String, properties String
  ) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(timestamp) ORDER BY (workspaceId, event, userId, occurredAt, id)`,
  `CREATE TABLE IF NOT EXISTS objectEvent (
    id String, event String, timestamp DateTime('UTC'), occurredAt UInt64, userId String, workspaceId String,
    recordId String, objectMetadataId String, properties String
  ) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(timestamp) ORDER BY (workspaceId, event, userId, occurredAt, id)`,
  `CREATE TABLE IF NOT EXISTS pageview (
    id String, name String, timestamp DateTime('UTC'), occurredAt UInt64, userId String, workspaceId String, properties String
  ) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(timestamp) ORDER BY (workspaceId, name, userId, occurredAt, id)`
]

/**
 * A string as a ClickHouse literal. 18.16 has no query parameters ({name:Type} came in 19.x), so values
 * are quoted here: backslash and quote escaped, as ClickHouse's own lexer reads them.
 */
export const literal = (value: string): string => `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`
