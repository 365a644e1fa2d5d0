/** PgBouncer in transaction mode in front of the primary (Debian's `pgbouncer`). */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { asPostgres, run, spawnDetached } from "./processes.js"

/** PgBouncer keeps clients' named prepared statements across server connections from 1.21 on. */
export const pgBouncerVersion = () => {
  const match = /(\d+)\.(\d+)/.exec(run(["/usr/sbin/pgbouncer", "--version"]))
  return match ? [Number(match[1]), Number(match[2])] as const : [0, 0] as const
}
export const keepsPreparedStatements = () => {
  const [major, minor] = pgBouncerVersion()
  return major > 1 || (major === 1 && minor >= 21)
}

export const startPgBouncer = (dir: string, port: number, primaryPort: number, database: string, log: string) => {
  const ini = join(dir, "pgbouncer.ini")
  const users = join(dir, "pgbouncer-users.txt")
  writeFileSync(users, `"postgres" ""\n`)
  writeFileSync(ini, [
    "[databases]",
    `${database} = host=127.0.0.1 port=${primaryPort} dbname=${database}`,
    "[pgbouncer]",
    "listen_addr = 127.0.0.1",
    `listen_port = ${port}`,
    "unix_socket_dir =",
    "auth_type = trust",
    `auth_file = ${users}`,
    "pool_mode = transaction",
    "max_client_conn = 1000",
    "default_pool_size = 40",
    ...(keepsPreparedStatements() ? ["max_prepared_statements = 200"] : []),
    "server_reset_query_always = 0",
    "ignore_startup_parameters = extra_float_digits,options,statement_timeout,idle_in_transaction_session_timeout"
  ].join("\n") + "\n")
  return spawnDetached(asPostgres(["/usr/sbin/pgbouncer", ini]), log)
}
