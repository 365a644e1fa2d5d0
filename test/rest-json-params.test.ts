/** REST JSON parameters and bodies are decoded with Effect Schema: a wrong shape is a 400 BadRequest, never a cast. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { AggregateParam, decodeJsonParam, GroupByParam, RecordOrderParam } from "../src/http/rest/query-params.js"
import { startTestApp, type TestApp } from "./support/app.js"
import { createApiKey, signUpWithWorkspace } from "./support/flows.js"

describe("decodeJsonParam (no database)", () => {
  const params = new URLSearchParams({ group_by: `[{"name":true}]`, aggregate: `["totalCount", 1]`, order: `{"name":"Up"}`, blank: " " })
  test("decodes, falls back when absent or blank, and names the parameter when malformed", () => {
    expect(decodeJsonParam(params, "group_by", GroupByParam, undefined, "x")).toEqual([{ name: true }])
    expect(decodeJsonParam(params, "missing", GroupByParam, "fallback", "x")).toBe("fallback")
    expect(decodeJsonParam(params, "blank", GroupByParam, null, "x")).toBeNull()
    expect(() => decodeJsonParam(params, "aggregate", AggregateParam, [], "a JSON array of aggregate names")).toThrow(
      "Invalid aggregate query parameter - should be a JSON array of aggregate names"
    )
    expect(() => decodeJsonParam(params, "order", RecordOrderParam, null, "order-by objects")).toThrow("Invalid order query parameter")
  })
})

let app: TestApp
let token: string
beforeAll(async () => {
  app = await startTestApp()
  const account = await signUpWithWorkspace(app)
  token = (await createApiKey(app, account.accessToken)).token
})
afterAll(() => app.close())

const call = async (method: string, path: string, body?: unknown) => {
  const response = await app.request(path, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: response.status, body: await response.json() as any }
}
const groupBy = (params: Record<string, string>) =>
  call("GET", `/rest/companies/groupBy?${new URLSearchParams({ group_by: `[{"name":true}]`, ...params })}`)

describe("REST JSON parameters of the wrong shape", () => {
  test("group-by parameters: 400 naming the parameter", async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ group_by: `[1]` }, "Invalid group_by query parameter - should be a valid array of objects"],
      [{ group_by: `{"name":true}` }, "Invalid group_by query parameter - should be a valid array of objects"],
      [{ aggregate: `[1]` }, "Invalid aggregate query parameter - should be a JSON array of aggregate names"],
      [{ aggregate: `"totalCount"` }, "Invalid aggregate query parameter - should be a JSON array of aggregate names"],
      [{ order_by: `[5]` }, "Invalid order_by query parameter - should be a JSON array of order-by objects"],
      [{ order_by_for_records: `5`, include_records_sample: "true" }, "Invalid order_by_for_records query parameter - should be a JSON array of order-by objects"],
      [{ order_by_for_records: `[{"name":5}]`, include_records_sample: "true" }, "Invalid order_by_for_records query parameter - should be a JSON array of order-by objects"]
    ]
    for (const [params, message] of cases) {
      const { status, body } = await groupBy(params)
      expect(`${JSON.stringify(params)} → ${status} ${body.messages?.[0]}`).toBe(`${JSON.stringify(params)} → 400 ${message}`)
      expect(body.error).toBe("BadRequestException")
      expect(body.statusCode).toBe(400)
    }
  })

  test("duplicates and merge bodies", async () => {
    const shape = `Body must be { "ids": [...] } or { "data": [...] }`
    for (const body of [{}, { ids: "x" }, { data: [1] }, { data: "x" }]) {
      const { status, body: answer } = await call("POST", "/rest/companies/duplicates", body)
      expect(`${JSON.stringify(body)} → ${status} ${answer.messages?.[0]}`).toBe(`${JSON.stringify(body)} → 400 ${shape}`)
    }
    const numbers = await call("POST", "/rest/companies/duplicates", { ids: [1] })
    expect([numbers.status, numbers.body.messages?.[0]]).toEqual([400, "ids must be UUIDs"])
    const merge = await call("PATCH", "/rest/companies/merge", { ids: ["a", 2] })
    expect([merge.status, merge.body.messages?.[0]]).toEqual([400, "ids must be a list of record ids"])
    const priority = await call("PATCH", "/rest/companies/merge", { ids: [], conflictPriorityIndex: "0" })
    expect([priority.status, priority.body.messages?.[0]]).toEqual([400, "conflictPriorityIndex must be a number"])
  })
})
