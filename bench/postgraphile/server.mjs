// PostGraphile 5 (amber preset, connection filter) over one Score workspace schema: the peer of bench/data.ts.
// Run under Node ≥ 22 from bench/.peer (bench/peer.ts installs it there and starts this file); settings from the
// environment. Prints "listening" once it serves POST /graphql.
import { createServer } from "node:http"
import { postgraphile } from "postgraphile"
import { makePgService } from "postgraphile/adaptors/pg"
import { grafserv } from "postgraphile/grafserv/node"
import { PostGraphileAmberPreset } from "postgraphile/presets/amber"
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter"

const env = (name) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}

const preset = {
  extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
  // Score filters and orders by any field; PostGraphile only by indexed columns unless this plugin is off
  // (deletedAt IS NULL and first-name ILIKE, as Score's statements have them).
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString: env("DATABASE_URL"),
      schemas: [env("SCHEMA")],
      poolConfig: { max: Number(env("POOL_SIZE")), application_name: env("APPLICATION_NAME") }
    })
  ],
  grafserv: { graphqlPath: "/graphql", watch: false, graphiql: false },
  grafast: { explain: false }
}

const pgl = postgraphile(preset)
const serv = pgl.createServ(grafserv)
const server = createServer()
// Node closes a keep-alive connection idle for 5 s, racing the next scenario's first request on it (ECONNRESET).
server.keepAliveTimeout = 120_000
server.headersTimeout = 121_000
await serv.addTo(server)
await pgl.getSchema() // built before the first request is timed
server.listen(Number(env("PORT")), "127.0.0.1", () => console.log("listening"))

const stop = () => {
  server.close()
  void pgl.release().finally(() => process.exit(0))
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
