import type { Socket, TCPSocketListener } from "bun"

/**
 * A TCP relay in front of a real server, for failure tests: `blackhole(true)` makes it swallow every byte in
 * both directions while keeping the connections open (a network that silently drops packets), `cut()` closes
 * every connection and refuses new ones until `restore()`, `hold(true)` keeps what the server sends (sent on, in
 * order, at `hold(false)`: a server that stalls without dropping anything). `observeClient`, when given, is called once per
 * connection and then sees every byte the client sends (the statement log reads PostgreSQL's protocol with it).
 */
export interface TcpProxy {
  readonly port: number
  readonly blackhole: (on: boolean) => void
  readonly hold: (on: boolean) => void
  readonly cut: () => void
  readonly restore: () => void
  readonly close: () => void
}

interface Pair {
  upstream: Socket<Pair> | null
  client: Socket<Pair> | null
  pending: Array<Uint8Array>
  /** The server's bytes kept while the proxy holds them. */
  held: Array<Uint8Array>
  observe: ((chunk: Uint8Array) => void) | null
}

export const startTcpProxy = (
  target: { host: string; port: number },
  options: { readonly observeClient?: () => (chunk: Uint8Array) => void } = {}
): TcpProxy => {
  let swallowing = false
  let holding = false
  let refusing = false
  const pairs = new Set<Pair>()
  const closePair = (pair: Pair | undefined) => {
    if (!pair) return
    pairs.delete(pair)
    pair.client?.end()
    pair.upstream?.end()
  }
  const listener: TCPSocketListener<Pair> = Bun.listen<Pair>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        if (refusing) return void client.end()
        const pair: Pair = { upstream: null, client, pending: [], held: [], observe: options.observeClient?.() ?? null }
        client.data = pair
        pairs.add(pair)
        void Bun.connect<Pair>({
          hostname: target.host,
          port: target.port,
          socket: {
            open(upstream) {
              upstream.data = pair
              pair.upstream = upstream
              for (const chunk of pair.pending) upstream.write(chunk)
              pair.pending = []
            },
            data(_upstream, chunk) {
              if (swallowing) return
              if (holding) pair.held.push(new Uint8Array(chunk))
              else pair.client?.write(chunk)
            },
            close() {
              closePair(pair)
            },
            error() {
              closePair(pair)
            }
          }
        }).catch(() => closePair(pair))
      },
      data(client, chunk) {
        if (swallowing) return
        const pair = client.data
        pair.observe?.(new Uint8Array(chunk))
        if (pair.upstream) pair.upstream.write(chunk)
        else pair.pending.push(new Uint8Array(chunk))
      },
      close(client) {
        closePair(client.data)
      },
      error(client) {
        closePair(client.data)
      }
    }
  })
  return {
    port: listener.port,
    blackhole: (on) => {
      swallowing = on
    },
    hold: (on) => {
      holding = on
      if (on) return
      for (const pair of pairs) {
        for (const chunk of pair.held) pair.client?.write(chunk)
        pair.held = []
      }
    },
    cut: () => {
      refusing = true
      for (const pair of [...pairs]) closePair(pair)
    },
    restore: () => {
      refusing = false
      swallowing = false
    },
    close: () => {
      for (const pair of [...pairs]) closePair(pair)
      listener.stop(true)
    }
  }
}
