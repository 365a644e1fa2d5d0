import { describe, expect, test } from "bun:test"
import { evaluateStepFilters } from "../src/services/workflows/actions/step-filters.js"
import { idempotentUuid } from "../src/services/workflows/actions/records-io.js"
import { cronPattern } from "../src/services/workflows/cron.js"
import { loopBody, loopIndexes, nextStep } from "../src/services/workflows/flow.js"
import type { RunState, WorkflowStep } from "../src/services/workflows/types.js"
import { resolveVariables } from "../src/services/workflows/variables.js"
import { isContainedPath, sandboxFiles } from "../src/services/logic-functions/sources.js"

describe("variables as Twenty resolves them", () => {
  const context = { trigger: { properties: { after: { name: "Acme", employees: 12, address: { city: "Paris" } } } }, s1: { id: "r1" } }
  test("a string that is one variable takes the value itself; longer text gets it written in", () => {
    expect(resolveVariables("{{trigger.properties.after.employees}}", context)).toBe(12)
    expect(resolveVariables("{{ trigger.properties.after.address }}", context)).toEqual({ city: "Paris" })
    expect(resolveVariables("Hello {{trigger.properties.after.name}} ({{s1.id}})", context)).toBe("Hello Acme (r1)")
    expect(resolveVariables({ a: ["{{s1.id}}", 3, null], b: { c: "{{missing.path}}" } }, context)).toEqual({ a: ["r1", 3, null], b: { c: undefined } })
    expect(resolveVariables("x {{missing}} y", context)).toBe("x  y")
  })
})

describe("step filters", () => {
  const filter = (operand: string, left: unknown, right: unknown) =>
    evaluateStepFilters({ stepFilters: [{ stepOutputKey: left, operand, value: right }] })
  test("operands in both of Twenty's spellings", () => {
    expect(filter("IS", "a", "a")).toBe(true)
    expect(filter("isNot", "a", "a")).toBe(false)
    expect(filter("CONTAINS", "Hello World", "world")).toBe(true)
    expect(filter("greaterThanOrEqual", 100, "100")).toBe(true)
    expect(filter("LESS_THAN_OR_EQUAL", 101, "100")).toBe(false)
    expect(filter("IS_EMPTY", [], null)).toBe(true)
    expect(filter("isNotEmpty", "", null)).toBe(false)
    expect(filter("IS_AFTER", "2026-02-01", "2026-01-01")).toBe(true)
    expect(filter("unknown", 1, 1)).toBe(false)
  })
  test("groups combine by their operator, nested groups included", () => {
    const input = {
      stepFilterGroups: [{ id: "root", logicalOperator: "OR" }, { id: "child", logicalOperator: "AND", parentStepFilterGroupId: "root" }],
      stepFilters: [
        { stepFilterGroupId: "root", stepOutputKey: 1, operand: "IS", value: 2 },
        { stepFilterGroupId: "child", stepOutputKey: "x", operand: "IS", value: "x" },
        { stepFilterGroupId: "child", stepOutputKey: 5, operand: "GREATER_THAN_OR_EQUAL", value: 3 }
      ]
    }
    expect(evaluateStepFilters(input)).toBe(true)
    expect(evaluateStepFilters(input, "child")).toBe(true)
    const [first, second, third] = input.stepFilters
    expect(evaluateStepFilters({ ...input, stepFilters: [first, second, { ...third, value: 9 }] })).toBe(false)
  })
})

describe("cron settings as Twenty's", () => {
  test("DAYS, HOURS, MINUTES and CUSTOM become UTC patterns; bad settings none", () => {
    expect(cronPattern({ type: "MINUTES", schedule: { minute: 5 } })).toBe("*/5 * * * *")
    expect(cronPattern({ type: "HOURS", schedule: { hour: 2, minute: 30 } })).toBe("30 */2 * * *")
    expect(cronPattern({ type: "DAYS", schedule: { day: 1, hour: 9, minute: 0 } })).toBe("0 9 */1 * *")
    expect(cronPattern({ type: "CUSTOM", pattern: "0 9 * * 1" })).toBe("0 9 * * 1")
    expect(cronPattern({ type: "HOURS", schedule: { hour: 0, minute: 30 } })).toBeNull()
    expect(cronPattern({ type: "DAYS", schedule: { day: 1, hour: 24, minute: 0 } })).toBeNull()
  })
})

describe("which step runs next, from the state alone", () => {
  const step = (id: string, next: Array<string>, type = "CREATE_RECORD", input: unknown = {}): WorkflowStep =>
    ({ id, type, settings: { input }, nextStepIds: next })
  const state = (steps: Array<WorkflowStep>, infos: RunState["stepInfos"]): RunState =>
    ({ flow: { trigger: { type: "MANUAL", settings: {}, nextStepIds: ["a"] }, steps }, stepInfos: { trigger: { status: "SUCCESS" }, ...infos } })
  const chain = [step("a", ["b"]), step("b", ["c"]), step("c", [])]
  test("the first unfinished step after the finished ones; an interrupted (RUNNING) step runs again", () => {
    expect(nextStep(state(chain, {}))).toMatchObject({ kind: "run", step: { id: "a" } })
    expect(nextStep(state(chain, { a: { status: "SUCCESS" }, b: { status: "RUNNING" } }))).toMatchObject({ kind: "run", step: { id: "b" } })
    expect(nextStep(state(chain, { a: { status: "SUCCESS" }, b: { status: "FAILED" } }))).toMatchObject({ kind: "run", step: { id: "c" } })
    expect(nextStep(state(chain, { a: { status: "SUCCESS" }, b: { status: "SUCCESS" }, c: { status: "SUCCESS" } }))).toEqual({ kind: "done" })
    expect(nextStep(state(chain, { a: { status: "PENDING" } }))).toMatchObject({ kind: "waiting", step: { id: "a" } })
  })
  test("an IF_ELSE goes on with its matching branch only; a FILTER that did not hold ends its branch", () => {
    const branching = [
      step("a", [], "IF_ELSE", { branches: [{ id: "if", nextStepIds: ["b"] }, { id: "else", nextStepIds: ["c"] }] }),
      step("b", []),
      step("c", [])
    ]
    const chose = { a: { status: "SUCCESS" as const, result: { matchingBranchId: "else" } } }
    expect(nextStep(state(branching, chose))).toMatchObject({ kind: "skip", step: { id: "b" } })
    expect(nextStep(state(branching, { ...chose, b: { status: "SKIPPED" } }))).toMatchObject({ kind: "run", step: { id: "c" } })
    const filtered = [step("a", ["b"], "FILTER"), step("b", [])]
    expect(nextStep(state(filtered, { a: { status: "SUCCESS", result: { shouldEndWorkflowRun: true } } }))).toEqual({ kind: "done" })
  })
  test("an ITERATOR runs its loop per item, runs again once the loop is finished, then goes on after it", () => {
    const looping = [
      step("a", ["d"], "ITERATOR", { initialLoopStepIds: ["b"] }),
      step("b", ["c"]),
      step("c", ["a"]),
      step("d", [])
    ]
    const item = (index: number) => ({ status: "SUCCESS" as const, result: { currentItem: index, currentItemIndex: index, hasProcessedAllItems: false } })
    expect(nextStep(state(looping, { a: item(0) }))).toMatchObject({ kind: "run", step: { id: "b" } })
    expect(nextStep(state(looping, { a: item(0), b: { status: "SUCCESS" } }))).toMatchObject({ kind: "run", step: { id: "c" } })
    expect(nextStep(state(looping, { a: item(0), b: { status: "SUCCESS" }, c: { status: "SUCCESS" } }))).toMatchObject({ kind: "run", step: { id: "a" } })
    expect(nextStep(state(looping, { a: item(1), b: { status: "SUCCESS" }, c: { status: "PENDING" } }))).toMatchObject({ kind: "waiting", step: { id: "c" } })
    const finished = { a: { status: "SUCCESS" as const, result: { hasProcessedAllItems: true } }, b: { status: "SUCCESS" as const }, c: { status: "SUCCESS" as const } }
    expect(nextStep(state(looping, finished))).toMatchObject({ kind: "run", step: { id: "d" } })
    expect([...loopBody(state(looping, {}), looping[0]!)].sort()).toEqual(["b", "c"])
    expect(loopIndexes(state(looping, { a: item(2) }), "c")).toEqual([2])
    expect(loopIndexes(state(looping, { a: item(2) }), "d")).toEqual([])
  })
  test("a step with several parents runs once, after all of them; a branch not taken is skipped to its end", () => {
    // a -> (b, c -> c2) -> d: d waits for both b and c2, however short b's branch is.
    const diamond = [step("a", ["b", "c"]), step("b", ["d"]), step("c", ["c2"]), step("c2", ["d"]), step("d", [])]
    expect(nextStep(state(diamond, { a: { status: "SUCCESS" }, b: { status: "SUCCESS" } }))).toMatchObject({ kind: "run", step: { id: "c" } })
    expect(nextStep(state(diamond, { a: { status: "SUCCESS" }, b: { status: "SUCCESS" }, c: { status: "PENDING" } })))
      .toMatchObject({ kind: "waiting", step: { id: "c" } })
    const both = { a: { status: "SUCCESS" as const }, b: { status: "SUCCESS" as const }, c: { status: "SUCCESS" as const } }
    expect(nextStep(state(diamond, both))).toMatchObject({ kind: "run", step: { id: "c2" } })
    expect(nextStep(state(diamond, { ...both, c2: { status: "SUCCESS" } }))).toMatchObject({ kind: "run", step: { id: "d" } })
    // IF_ELSE a: if -> b -> b2 -> join, else -> c -> join. The else branch taken: b SKIPPED, then b2, then join runs.
    const branches = [
      step("a", [], "IF_ELSE", { branches: [{ id: "if", nextStepIds: ["b"] }, { id: "else", nextStepIds: ["c"] }] }),
      step("b", ["b2"]),
      step("b2", ["join"]),
      step("c", ["join"]),
      step("join", [])
    ]
    expect(nextStep(state(branches, { a: { status: "SUCCESS", result: { matchingBranchId: "else" } } }))).toMatchObject({ kind: "skip", step: { id: "b" } })
    const chosenElse = { a: { status: "SUCCESS" as const, result: { matchingBranchId: "else" } }, b: { status: "SKIPPED" as const } }
    expect(nextStep(state(branches, { ...chosenElse, c: { status: "SUCCESS" } }))).toMatchObject({ kind: "skip", step: { id: "b2" } })
    expect(nextStep(state(branches, { ...chosenElse, b2: { status: "SKIPPED" } }))).toMatchObject({ kind: "run", step: { id: "c" } })
    expect(nextStep(state(branches, { ...chosenElse, b2: { status: "SKIPPED" }, c: { status: "SUCCESS" } })))
      .toMatchObject({ kind: "run", step: { id: "join" } })
    expect(nextStep(state(branches, { ...chosenElse, b2: { status: "SKIPPED" }, c: { status: "SUCCESS" }, join: { status: "SUCCESS" } })))
      .toEqual({ kind: "done" })
    // The branch not taken leads to the join directly: the join still waits for, and runs after, the branch taken.
    const direct = [
      step("a", [], "IF_ELSE", { branches: [{ id: "if", nextStepIds: ["join"] }, { id: "else", nextStepIds: ["c"] }] }),
      step("c", ["join"]),
      step("join", [])
    ]
    expect(nextStep(state(direct, { a: chosenElse.a }))).toMatchObject({ kind: "run", step: { id: "c" } })
    expect(nextStep(state(direct, { a: chosenElse.a, c: { status: "SUCCESS" } }))).toMatchObject({ kind: "run", step: { id: "join" } })
  })
  test("a created record's id is stable per run and step, and a UUID", () => {
    expect(idempotentUuid("run:step")).toBe(idempotentUuid("run:step"))
    expect(idempotentUuid("run:step")).not.toBe(idempotentUuid("run:other"))
    expect(idempotentUuid("run:step")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })
})

describe("the files a logic function's sandbox writes", () => {
  test("every file, nested folders joined by /, the handler among them", () => {
    const prepared = sandboxFiles({ "src/index.ts": "main", src: { "utils.ts": "u", lib: { "a.js": "a" } }, "package.json": "{}" }, "src/index.ts")
    expect(prepared?.handlerPath).toBe("src/index.ts")
    expect(prepared?.outside).toBeNull()
    expect([...(prepared?.files ?? [])].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: "package.json", content: "{}" },
      { path: "src/index.ts", content: "main" },
      { path: "src/lib/a.js", content: "a" },
      { path: "src/utils.ts", content: "u" }
    ])
  })
  test("a handler found in its folder; without a runnable extension it is written as TypeScript; missing, null", () => {
    expect(sandboxFiles({ src: { index: "main" } }, "src/index")?.handlerPath).toBe("src/index.ts")
    expect(sandboxFiles({ src: { "other.ts": "x" } }, "src/index.ts")).toBeNull()
  })
  test("a path leaving the function's directory is named", () => {
    expect(sandboxFiles({ "src/index.ts": "main", "../x.ts": "x" }, "src/index.ts")?.outside).toBe("../x.ts")
    for (const path of ["../x", "/etc/passwd", "a/../../b", "a//b", "./a", "a\\b", ""]) expect(isContainedPath(path)).toBe(false)
    for (const path of ["a", "src/index.ts", ".env", "a/..b/c"]) expect(isContainedPath(path)).toBe(true)
  })
})
