import { Duration, Effect, Layer, Option, Runtime } from "effect"
import { AppConfig } from "../config.js"

/**
 * The process's own CPU time and heap, and a full collection: what the idle collector reads and does.
 * A parameter so a test can drive it with made-up figures.
 */
export interface ProcessProbe {
  /** CPU time used so far, in microseconds (user + system). */
  readonly cpuMicros: () => number
  readonly collect: () => void
}

const bunProbe: ProcessProbe = {
  cpuMicros: () => {
    const { user, system } = process.cpuUsage()
    return user + system
  },
  // Synchronous and full: JavaScriptCore frees what the burst left, and the allocator can then give pages back.
  collect: () => Bun.gc(true)
}

/**
 * Below this share of one core over a tick the process counts as idle: measured idle, the API uses ~2 % (its
 * timers, pool and Redis pings) and the worker ~5.5 % (polling eight queues and its schedules); a burst of
 * requests or jobs uses most of a core.
 */
const IDLE_CPU_SHARE = 0.15

/**
 * Ticks every `idleAfter / 2`: a tick that used CPU marks the process busy; the first idle tick after a busy
 * one runs one full collection. So a process collects once, between half and one `idleAfter` after a burst of
 * requests or jobs ends, and never while it is working or already idle.
 */
export const makeIdleCollector = (idleAfterMs: number, probe: ProcessProbe = bunProbe, onCollect: (ms: number) => void = () => {}) => {
  const tickMs = Math.max(1, Math.floor(idleAfterMs / 2))
  let lastCpu = probe.cpuMicros()
  let busy = false
  let collections = 0
  const tick = () => {
    const cpu = probe.cpuMicros()
    const used = cpu - lastCpu
    if (used > tickMs * 1000 * IDLE_CPU_SHARE) busy = true
    else if (busy) {
      busy = false
      collections++
      const started = performance.now()
      probe.collect()
      onCollect(performance.now() - started)
    }
    // After the collection's own CPU time, so that it does not count as work.
    lastCpu = probe.cpuMicros()
  }
  return { tick, tickMs, collections: () => collections }
}

/**
 * JavaScriptCore sizes its heap by the machine's RAM and collects an idle process only on its own timers: the
 * deployed API, 5 s after touching 1,000 workspaces, held 271–275 MiB with this against 291–310 without
 * (bench/tenants.ts, loaded machine; 30 s after, both 248–269).
 * IDLE_COLLECT_AFTER (0: never) sets how long without work before the one collection.
 */
export const IdleCollectorLive = Layer.scopedDiscard(
  Effect.gen(function*() {
    const config = yield* AppConfig
    const idleAfterMs = Duration.toMillis(config.idleCollectAfter)
    if (idleAfterMs <= 0) return
    const runtime = yield* Effect.runtime<never>()
    const log = (ms: number) => Runtime.runFork(runtime)(Effect.logDebug(`Idle: one full garbage collection in ${Math.round(ms)} ms`))
    const collector = makeIdleCollector(idleAfterMs, bunProbe, log)
    const timer = yield* Effect.acquireRelease(
      Effect.sync(() => setInterval(collector.tick, collector.tickMs)),
      (timer) => Effect.sync(() => clearInterval(timer))
    )
    timer.unref()
  })
)

/** How often the heap is looked at, and at most how often it is collected for growth (a full collection: 40–130 ms). */
const GROWTH_CHECK_MS = 250
const GROWTH_COLLECT_MIN_MS = 1_000

/**
 * While a burst works, JavaScriptCore lets garbage pile up as its RAM-sized heuristics allow: 1,000 cold
 * workspaces touched in 78 s peaked at 635 MiB RSS with 362 MiB of heap, ~100 of it live (bench/tenants.ts,
 * loaded). This collects fully once the heap has grown `growthBytes` since the last collection, at most once
 * a second. `heapBytes`: the heap's size now, live and garbage.
 */
export const makeGrowthCollector = (growthBytes: number, heapBytes: () => number, collect: () => void, now: () => number = Date.now) => {
  let floor = heapBytes()
  let last = -Infinity
  let collections = 0
  const tick = () => {
    if (heapBytes() - floor < growthBytes || now() - last < GROWTH_COLLECT_MIN_MS) return
    collect()
    collections++
    last = now()
    floor = heapBytes()
  }
  return { tick, collections: () => collections }
}

/**
 * The growth threshold a process uses when HEAP_COLLECT_GROWTH_MB is unset. The API's first calls are waited
 * on, so it collects less often; the worker's jobs are not, and run ten workspaces at once: at 32 MiB the
 * deployed worker draining 1,000 cold workspaces' events peaked at 387–451 MiB, at 16 MiB 245 (and drained
 * no slower), `bench/tenants.ts` BENCH_WORKER_MODES.
 */
export const API_HEAP_COLLECT_GROWTH_MB = 32
export const WORKER_HEAP_COLLECT_GROWTH_MB = 16

/** HEAP_COLLECT_GROWTH_MB (0: never), or `defaultMb` when unset: the growth collector's threshold. */
export const GrowthCollectorLive = (defaultMb: number) =>
  Layer.scopedDiscard(
    Effect.gen(function*() {
      const config = yield* AppConfig
      const growthMb = Option.getOrElse(config.heapCollectGrowthMb, () => defaultMb)
      if (growthMb <= 0) return
      const collector = makeGrowthCollector(growthMb * 1024 * 1024, () => process.memoryUsage().heapUsed, bunProbe.collect)
      const timer = yield* Effect.acquireRelease(
        Effect.sync(() => setInterval(collector.tick, GROWTH_CHECK_MS)),
        (timer) => Effect.sync(() => clearInterval(timer))
      )
      timer.unref()
    })
  )
