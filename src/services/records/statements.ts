import { SqlClient, SqlError } from "@effect/sql"
import { Effect, Metric, Option } from "effect"
import type Pg from "pg"
import type { BunReads } from "../../platform/database/bun-reads.js"
import type { PgPool, PgReads } from "../../platform/database/index.js"
import type { ReadReplicasShape } from "../../platform/database/replicas.js"
import { pgErrorCode } from "../../platform/lib/pg-errors.js"
import { badInput } from "./query-builder.js"
import type { RecordsFailure } from "./service.js"

/** Every SQL statement the records service sends; benchmarks and tests read it to prove there is no N+1. */
export const recordsStatements = Metric.counter("score_records_sql_statements", { incremental: true })

/** A statement's text and parameters, as the builders return them. */
export interface Statement {
  readonly text: string
  readonly params: ReadonlyArray<unknown>
}

/** A page row: the record's columns (recordColumns) then its cursor's (cursorColumns), in select order. */
export type PageRow = ReadonlyArray<unknown>

const PREPARED_SHAPES = 100

/** PostgreSQL refusing a value is the caller's input at fault; said plainly, never as a 500. */
export const explain = (error: SqlError.SqlError): RecordsFailure => {
  switch (pgErrorCode(error)) {
    case "23505":
      return badInput("A duplicate entry was detected: another record has the same value for a unique field")
    case "23503":
      return badInput("A related record does not exist")
    case "23514":
    case "23502":
    case "22P02":
    case "22007":
    case "22008":
    case "22003":
    case "22023":
      return badInput(`Invalid value: ${(error.cause as Error).message}`)
    default:
      return error
  }
}

const failed = (cause: unknown) => new SqlError.SqlError({ cause, message: "Failed to execute statement" })

/** A server's pools: the primary's, or a read replica's. */
interface Server {
  readonly pool: Pg.Pool
  readonly reads: BunReads | null
}

/**
 * Running statements over the three drivers: the `pg` pool outside a transaction, the transaction's
 * connection inside one (through @effect/sql), and Bun's read pool for the direct read's prepared lists.
 * The `read*` twins run a workspace's reads outside a transaction on a read replica when `replicas` allow
 * (database/replicas.ts), and again on the primary when the replica fails. `unnamed`: behind PgBouncer, no
 * statement is prepared under a name.
 */
export const makeStatements = (
  sql: SqlClient.SqlClient,
  pool: typeof PgPool.Service,
  reads: typeof PgReads.Service,
  replicas: ReadReplicasShape | null = null,
  unnamed = false
) => {
  const primary: Server = { pool, reads }

  /** A statement on a `pg` pool, outside any transaction; `arrays`: rows as arrays of column values. */
  const rowsOn = <A>(server: Server, text: string, params: ReadonlyArray<unknown>, arrays: boolean, name?: string) =>
    server.pool.query({ name: unnamed ? undefined : name, text, values: params as Array<unknown>, ...(arrays ? { rowMode: "array" as const } : {}) })
      .then((result) => result.rows as Array<A>)
  const poolRows = <A>(text: string, params: ReadonlyArray<unknown>, arrays: boolean, name?: string) =>
    rowsOn<A>(primary, text, params, arrays, name)

  /** A read outside a transaction: on a replica the workspace may read from, else (or when it fails) the primary. */
  const routed = <A>(workspaceId: string, read: (server: Server) => Promise<A>): Promise<A> =>
    replicas === null ? read(primary) : replicas.route(workspaceId).then((replica) =>
      replica === null ? read(primary) : read(replica).catch((error) => {
        replicas.failed(replica, error)
        return read(primary)
      }))

  /**
   * Outside a transaction a statement goes straight to the pool; inside one, through its connection.
   * `arrays`: rows as arrays of column values (a page's rows: no object per row).
   */
  function statement<A extends object>(text: string, params: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<A>, SqlError.SqlError>
  function statement(text: string, params: ReadonlyArray<unknown>, arrays: true): Effect.Effect<ReadonlyArray<PageRow>, SqlError.SqlError>
  function statement(text: string, params: ReadonlyArray<unknown>, arrays = false) {
    return Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (transaction) =>
      Option.isSome(transaction)
        ? arrays ? sql.unsafe(text, params as Array<unknown>).values : sql.unsafe(text, params as Array<unknown>)
        : Effect.tryPromise({ try: () => poolRows<object>(text, params, arrays), catch: failed }))
  }

  /** A page and its totals at once: on two pool connections outside a transaction (no fiber forked), else in turn. */
  const pageAndTotals = <B extends object>(page: Statement, totals: Statement) =>
    Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (transaction) =>
      Option.isSome(transaction)
        ? Effect.all([statement(page.text, page.params, true), statement<B>(totals.text, totals.params)])
        : Effect.tryPromise({
          try: () => Promise.all([poolRows<PageRow>(page.text, page.params, true), poolRows<B>(totals.text, totals.params, false)]),
          catch: failed
        }))

  /** Counts `statements` and turns PostgreSQL's refusals of the caller's values into BadUserInput. */
  const explained = <A>(effect: Effect.Effect<A, SqlError.SqlError>, statements: number) =>
    effect.pipe(
      Effect.tap(() => Metric.incrementBy(recordsStatements, statements)),
      Effect.catchIf((e): e is SqlError.SqlError => e instanceof SqlError.SqlError, (e) => Effect.fail(explain(e)))
    )

  const run = <A extends object>(text: string, params: ReadonlyArray<unknown>) => explained(statement<A>(text, params), 1)

  /** `statement` for a read of the workspace: outside a transaction, on a replica when one may serve it. */
  function readStatement<A extends object>(workspaceId: string, text: string, params: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<A>, SqlError.SqlError>
  function readStatement(workspaceId: string, text: string, params: ReadonlyArray<unknown>, arrays: true): Effect.Effect<ReadonlyArray<PageRow>, SqlError.SqlError>
  function readStatement(workspaceId: string, text: string, params: ReadonlyArray<unknown>, arrays = false) {
    if (replicas === null) return arrays ? statement(text, params, true) : statement(text, params)
    return Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (transaction) =>
      Option.isSome(transaction)
        ? arrays ? statement(text, params, true) : statement(text, params)
        : Effect.tryPromise({ try: () => routed(workspaceId, (server) => rowsOn<object>(server, text, params, arrays)), catch: failed }))
  }

  /** `run` for a read of the workspace (readStatement). */
  const readRun = <A extends object>(workspaceId: string, text: string, params: ReadonlyArray<unknown>) =>
    explained(readStatement<A>(workspaceId, text, params), 1)

  /** `pageAndTotals` for a read of the workspace: both on the same server. */
  const readPageAndTotals = <B extends object>(workspaceId: string, page: Statement, totals: Statement) =>
    replicas === null ? pageAndTotals<B>(page, totals) : Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (transaction) =>
      Option.isSome(transaction)
        ? pageAndTotals<B>(page, totals)
        : Effect.tryPromise({
          try: () => routed(workspaceId, (server) =>
            Promise.all([rowsOn<PageRow>(server, page.text, page.params, true), rowsOn<B>(server, totals.text, totals.params, false)])),
          catch: failed
        }))

  /**
   * A one-statement write: outside a transaction, the first PREPARED_SHAPES texts run prepared on the `pg`
   * pool (PostgreSQL parses a write's CTEs once per connection), others unnamed; inside one, on its connection.
   */
  const writeNames = new Map<string, string>()
  const writeName = (text: string) => {
    let name = writeNames.get(text)
    if (name === undefined && writeNames.size < PREPARED_SHAPES) writeNames.set(text, name = `score_write_${writeNames.size}`)
    return name
  }
  const write = <A extends object>(text: string, params: ReadonlyArray<unknown>) =>
    explained(Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (transaction) =>
      Option.isSome(transaction)
        ? sql.unsafe<A>(text, params as Array<unknown>)
        : Effect.tryPromise({ try: () => poolRows<A>(text, params, false, writeName(text)), catch: failed })), 1)

  /**
   * A one-statement write of the direct path as a plain promise, prepared as `write` does; a rejection is
   * the statement's failure already explained (a RecordsFailure: BadUserInput for the caller's values).
   */
  const writeDirect = <A extends object>(statement: Statement): Promise<Array<A>> => {
    recordsStatements.unsafeUpdate(1, [])
    return poolRows<A>(statement.text, statement.params, false, writeName(statement.text))
      .catch((cause) => Promise.reject(explain(failed(cause))))
  }

  /**
   * The first PREPARED_SHAPES list statements (by text) run as prepared statements, through Bun's client
   * when the database is live: PostgreSQL parses and plans them once per connection (a third of its work
   * on a short list). Others run unnamed on the `pg` pool, so each connection holds a bounded number.
   */
  const preparedNames = new Map<string, string>()
  const preparedName = (text: string) => {
    let name = preparedNames.get(text)
    if (name === undefined && preparedNames.size < PREPARED_SHAPES) {
      name = `score_list_${preparedNames.size}`
      preparedNames.set(text, name)
    }
    return name
  }

  /**
   * Bun's client prepares a statement only when it has parameters or comes as a template: a statement
   * without parameters goes as a one-part template, made once per prepared shape.
   */
  const templates = new Map<string, TemplateStringsArray>()
  const templateOf = (text: string) => {
    let template = templates.get(text)
    if (!template) {
      template = Object.defineProperty([text], "raw", { value: [text] }) as unknown as TemplateStringsArray
      templates.set(text, template)
    }
    return template
  }

  /** A list statement of the direct read as a plain promise on `server`: prepared (Bun's pool when live), else unnamed. */
  const directOn = <A>(server: Server, statement: Statement, arrays: boolean): Promise<Array<A>> => {
    const name = preparedName(statement.text)
    const reads = server.reads
    if (name !== undefined && reads !== null) {
      const read = statement.params.length > 0
        ? reads.sql.unsafe(statement.text, statement.params as Array<unknown>)
        : reads.sql(templateOf(statement.text))
      return reads.within(arrays ? read.values() : read) as Promise<Array<A>>
    }
    return rowsOn<A>(server, statement.text, statement.params, arrays, name)
  }
  const direct = <A>(statement: Statement, arrays: boolean): Promise<Array<A>> => directOn<A>(primary, statement, arrays)

  /** `direct` for a read of the workspace (never in a transaction): on a replica when one may serve it. */
  const readDirect = <A>(workspaceId: string, statement: Statement, arrays: boolean): Promise<Array<A>> =>
    replicas === null ? directOn<A>(primary, statement, arrays) : routed(workspaceId, (server) => directOn<A>(server, statement, arrays))

  return { statement, pageAndTotals, explained, run, write, writeDirect, direct, readStatement, readRun, readPageAndTotals, readDirect }
}

export type Statements = ReturnType<typeof makeStatements>
