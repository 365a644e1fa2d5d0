import { describe, expect, test } from "bun:test"
import { Duration } from "effect"
import { makeGrowthCollector, makeIdleCollector } from "../src/platform/memory/idle-collector.js"
import { testConfig } from "./support/app.js"

/** A process whose CPU time the test moves by hand; counts the collections asked for. */
const fakeProcess = () => {
  let cpu = 0
  let collected = 0
  return {
    work: (micros: number) => void (cpu += micros),
    collected: () => collected,
    probe: { cpuMicros: () => cpu, collect: () => void collected++ }
  }
}

describe("idle collector", () => {
  test("collects once after a burst, when a tick finds the process idle", () => {
    const proc = fakeProcess()
    const collector = makeIdleCollector(2_000, proc.probe)
    expect(collector.tickMs).toBe(1_000)
    proc.work(400_000) // 40 % of a core over the tick
    collector.tick()
    expect(proc.collected()).toBe(0)
    proc.work(300_000)
    collector.tick()
    expect(proc.collected()).toBe(0) // still working
    proc.work(1_000) // timers only
    collector.tick()
    expect(proc.collected()).toBe(1)
    collector.tick()
    collector.tick()
    expect(proc.collected()).toBe(1) // idle stays idle: nothing more to hand back
    expect(collector.collections()).toBe(1)
  })

  test("an idle process never collects, and each burst gets its own collection", () => {
    const proc = fakeProcess()
    const collector = makeIdleCollector(2_000, proc.probe)
    for (let i = 0; i < 5; i++) {
      proc.work(60_000) // 6 % of a core: what the worker uses polling its queues while idle
      collector.tick()
    }
    expect(proc.collected()).toBe(0)
    for (let burst = 1; burst <= 3; burst++) {
      proc.work(200_000)
      collector.tick()
      proc.work(60_000) // idle again: the worker's polling only
      collector.tick()
      expect(proc.collected()).toBe(burst)
    }
  })

  test("the collection's own CPU time does not count as work", () => {
    const proc = fakeProcess()
    const collector = makeIdleCollector(2_000, { cpuMicros: proc.probe.cpuMicros, collect: () => proc.work(150_000) })
    proc.work(300_000)
    collector.tick()
    collector.tick() // collects, spending 150 ms
    collector.tick()
    collector.tick()
    expect(collector.collections()).toBe(1)
  })
})

describe("IDLE_COLLECT_AFTER", () => {
  test("defaults to 5 s, takes Twenty-style durations, and 0s turns the collector off", async () => {
    expect(Duration.toMillis((await testConfig({})).idleCollectAfter)).toBe(5_000)
    expect(Duration.toMillis((await testConfig({ IDLE_COLLECT_AFTER: "30s" })).idleCollectAfter)).toBe(30_000)
    expect(Duration.toMillis((await testConfig({ IDLE_COLLECT_AFTER: "0s" })).idleCollectAfter)).toBe(0)
    await expect(testConfig({ IDLE_COLLECT_AFTER: "soon" })).rejects.toThrow()
  })
})

describe("growth collector", () => {
  test("collects once the heap grew past the threshold since the last collection, at most once a second", () => {
    let heap = 100
    let clock = 0
    let collected = 0
    // A collection leaves the live 100 (plus what stays, 10 a time).
    const collector = makeGrowthCollector(50, () => heap, () => void (collected++, heap = 100 + 10 * collected), () => clock)
    heap = 149
    collector.tick()
    expect(collected).toBe(0)
    heap = 151
    collector.tick()
    expect([collected, heap]).toEqual([1, 110])
    heap = 400 // another burst at once: not before a second has passed
    clock += 500
    collector.tick()
    expect(collected).toBe(1)
    clock += 500
    collector.tick()
    expect([collected, heap]).toEqual([2, 120])
    clock += 5_000
    heap = 169 // under 120 + 50
    collector.tick()
    expect(collector.collections()).toBe(2)
  })
})
