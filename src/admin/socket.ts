import * as BunSocket from "@effect/platform-bun/BunSocket"
import * as BunSocketServer from "@effect/platform-bun/BunSocketServer"
import { RpcClient, RpcSerialization, RpcServer } from "@effect/rpc"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { Admin, AdminHandlers, AdminRpcs } from "./index.js"

/** The embedded server's admin socket: only its owner may use it (mode 0600). */
export const adminSocketPath = (dataDir: string) => path.join(path.resolve(dataDir), "admin.sock")

/** Whether a server answers on the admin socket (a file left by one that died does not). */
export const adminSocketIsLive = (dataDir: string) =>
  Effect.async<boolean>((resume) => {
    const socket = net.createConnection(adminSocketPath(dataDir))
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.succeed(true))
    })
    socket.once("error", () => resume(Effect.succeed(false)))
  })

/**
 * Serves `Admin` on the admin socket, for `bun run cli` while this server runs. Needs the data directory
 * lock (held by the embedded database), so a socket file found here is a dead server's and is replaced.
 */
export const AdminSocketServer = (dataDir: string) => {
  const socketPath = adminSocketPath(dataDir)
  const listening = Layer.unwrapScoped(Effect.gen(function*() {
    fs.rmSync(socketPath, { force: true })
    yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(socketPath, { force: true })))
    return BunSocketServer.layer({ path: socketPath }).pipe(Layer.tap(() => Effect.sync(() => fs.chmodSync(socketPath, 0o600))))
  }))
  return RpcServer.layer(AdminRpcs).pipe(
    Layer.provide(AdminHandlers),
    Layer.provide(RpcServer.layerProtocolSocketServer),
    Layer.provide(Layer.merge(listening, RpcSerialization.layerNdjson)),
    Layer.orDie
  )
}

/** `Admin` answered by the server running on `dataDir`, over its admin socket. */
export const AdminRemote = (dataDir: string) =>
  Layer.scoped(
    Admin,
    Effect.gen(function*() {
      const client = yield* RpcClient.make(AdminRpcs)
      const lost = (e: { readonly message: string }) => Effect.die(new Error(`Lost the running server's admin socket: ${e.message}`))
      return {
        createWorkspace: (input) => client.WorkspaceCreate(input).pipe(Effect.catchTag("RpcClientError", lost)),
        deleteWorkspace: (id) => client.WorkspaceDelete({ id }).pipe(Effect.catchTag("RpcClientError", lost)),
        migrate: client.Migrate().pipe(Effect.catchTag("RpcClientError", lost))
      }
    })
  ).pipe(
    Layer.provide(RpcClient.layerProtocolSocket()),
    Layer.provide(Layer.merge(BunSocket.layerNet({ path: adminSocketPath(dataDir) }), RpcSerialization.layerNdjson))
  )
