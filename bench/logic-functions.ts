/**
 * Overhead of one logic function execution (a CODE step's sandbox part): cold (a process started for it,
 * LOGIC_FUNCTION_SPARE_PROCESSES=0) and warm (a spare started ahead), beside the floor of starting and
 * ending a bare `bun -e 0` in the same run. `bun bench/logic-functions.ts [runs]`.
 */
import { Effect } from "effect"
import { LogicFunctionSandbox, LogicFunctionSandboxProcesses } from "../src/services/logic-functions/sandbox/pool.js"

const runs = Number(process.argv[2] ?? 15)
const SOURCE = "export const main = async (params: { n: number }) => ({ square: params.n * params.n })"
const settings = { cpuSeconds: 10, memoryMb: 512, allowNetwork: false, maxConcurrent: 1 }

const percentile = (values: Array<number>, p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!
const summary = (name: string, values: Array<number>) =>
  console.log(`${name.padEnd(34)} p50 ${percentile(values, 0.5).toFixed(0).padStart(5)} ms   p90 ${percentile(values, 0.9).toFixed(0).padStart(5)} ms`)

const measure = (spares: number, pauseMs: number) =>
  Effect.gen(function*() {
    const sandbox = yield* LogicFunctionSandbox
    const times: Array<number> = []
    for (let i = 0; i <= runs; i++) {
      yield* Effect.sleep(pauseMs)
      const started = performance.now()
      yield* sandbox.execute({ files: [{ path: "handler.ts", content: SOURCE }], handlerPath: "handler.ts", handlerName: "main", params: { n: i } }, "30 seconds")
      if (i > 0) times.push(performance.now() - started)
    }
    return times
  }).pipe(Effect.provide(LogicFunctionSandboxProcesses({ ...settings, spares })), Effect.scoped)

const floor: Array<number> = []
for (let i = 0; i < runs; i++) {
  const started = performance.now()
  await Bun.spawn([process.execPath, "-e", "0"], { env: {} }).exited
  floor.push(performance.now() - started)
}
const cold = await Effect.runPromise(measure(0, 300))
const warm = await Effect.runPromise(measure(1, 1500))
console.log(`logic function executions, ${runs} each (load average ${(await Bun.file("/proc/loadavg").text()).split(" ")[0]})`)
summary("floor: bun -e 0, start to exit", floor)
summary("cold: process started for it", cold)
summary("warm: spare started ahead", warm)
