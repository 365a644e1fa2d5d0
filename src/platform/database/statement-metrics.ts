import type Pg from "pg"
import { instrumentation, observeStatement, statementKind } from "../metrics/index.js"

type QueryArgs = Parameters<Pg.Client["query"]>

const textOf = (config: unknown): string =>
  typeof config === "string" ? config : typeof config === "object" && config !== null && "text" in config && typeof config.text === "string" ? config.text : ""

/**
 * Counts every statement a `pg` client sends (score_sql_statements_total, score_sql_statement_duration_seconds):
 * installed on each new pool connection, so @effect/sql's statements and the direct PgPool ones are both seen.
 * With metrics off it passes the call through after one boolean test.
 */
export const countStatements = (client: Pg.Client | Pg.PoolClient): void => {
  const query = client.query
  const counted = function(this: Pg.Client, ...args: QueryArgs) {
    if (!instrumentation.enabled) return Reflect.apply(query, this, args)
    const kind = statementKind(textOf(args[0]))
    const started = performance.now()
    const last = args.length - 1
    const callback = args[last]
    if (typeof callback === "function") {
      const wrapped = [...args]
      wrapped[last] = (error: unknown, result: unknown) => {
        observeStatement(kind, started, error != null)
        return Reflect.apply(callback, undefined, [error, result])
      }
      return Reflect.apply(query, this, wrapped)
    }
    const result: unknown = Reflect.apply(query, this, args)
    if (result instanceof Promise) {
      result.then(() => observeStatement(kind, started, false), () => observeStatement(kind, started, true))
    }
    return result
  }
  Object.defineProperty(client, "query", { value: counted, writable: true, configurable: true })
}
