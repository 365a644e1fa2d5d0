import { describe, expect, test } from "bun:test"
import { parseRestFilter, parseRestOrderBy } from "../src/http/rest/query-params.js"
import { BadUserInput } from "../src/domain/errors.js"
import type { FieldType } from "../src/domain/field-types.js"

const TYPES: Record<string, FieldType> = {
  name: "TEXT", employees: "NUMBER", idealCustomerProfile: "BOOLEAN", createdAt: "DATE_TIME", companyId: "UUID",
  "emails.primaryEmail": "TEXT", "name.firstName": "TEXT", "amount.amountMicros": "NUMERIC", stage: "SELECT"
}
const typeOf = (path: ReadonlyArray<string>) => TYPES[path.join(".")]
const parse = (input: string) => parseRestFilter(input, typeOf)

describe("REST filter grammar", () => {
  test("base expressions with typed values", () => {
    expect(parse(`name[eq]:Acme`)).toEqual({ name: { eq: "Acme" } })
    expect(parse(`employees[gte]:10`)).toEqual({ employees: { gte: 10 } })
    expect(parse(`idealCustomerProfile[eq]:true`)).toEqual({ idealCustomerProfile: { eq: true } })
    expect(parse(`employees[is]:NULL`)).toEqual({ employees: { is: "NULL" } })
    expect(parse(`emails.primaryEmail[eq]:"a@b.c"`)).toEqual({ emails: { primaryEmail: { eq: "a@b.c" } } })
    expect(parse(`createdAt[gte]:2024-01-01T00:00:00.000Z`)).toEqual({ createdAt: { gte: "2024-01-01T00:00:00.000Z" } })
  })

  test("quoting keeps commas, colons and parentheses inside values", () => {
    expect(parse(`name[eq]:"Smith, Jones (UK): Ltd"`)).toEqual({ name: { eq: "Smith, Jones (UK): Ltd" } })
    expect(parse(`name[eq]:'it\\'s'`)).toEqual({ name: { eq: "it's" } })
    expect(parse(`employees[eq]:"10"`)).toEqual({ employees: { eq: "10" } })
  })

  test("lists, implicit and, nested and/or/not", () => {
    expect(parse(`stage[in]:[NEW,"MEETING"]`)).toEqual({ stage: { in: ["NEW", "MEETING"] } })
    expect(parse(`name[like]:"%a%",employees[gt]:2`)).toEqual({ and: [{ name: { like: "%a%" } }, { employees: { gt: 2 } }] })
    expect(parse(`or(name[eq]:A,and(employees[gt]:10,not(companyId[is]:NULL)))`)).toEqual({
      or: [{ name: { eq: "A" } }, { and: [{ employees: { gt: 10 } }, { not: { companyId: { is: "NULL" } } }] }]
    })
  })

  test("malformed input is BadUserInput with a message saying what is wrong", () => {
    const cases: Array<[string, string]> = [
      [`name[eq]Acme`, "expected ':'"],
      [`name:Acme`, "eg: price[gte]:10"],
      [`name[equals]:A`, "unknown comparator"],
      [`nope[eq]:1`, "'nope' does not exist"],
      [`not(name[eq]:A,name[eq]:B)`, "only 1 condition"],
      [`or(name[eq]:A`, "count should be equal"],
      [`name[eq]:"open`, "unterminated"],
      [`stage[in]:NEW`, "takes a list"],
      [`xor(name[eq]:A)`, "unknown conjunction"]
    ]
    for (const [input, message] of cases) {
      try {
        parse(input)
        throw new Error(`no error for ${input}`)
      } catch (e) {
        expect(e).toBeInstanceOf(BadUserInput)
        expect((e as BadUserInput).message).toContain(message)
      }
    }
  })

  test("order_by", () => {
    expect(parseRestOrderBy(`name[DescNullsLast],employees`, typeOf)).toEqual([{ name: "DescNullsLast" }, { employees: "AscNullsFirst" }])
    expect(parseRestOrderBy(`name.firstName[AscNullsLast]`, typeOf)).toEqual([{ name: { firstName: "AscNullsLast" } }])
    expect(() => parseRestOrderBy(`name[Sideways]`, typeOf)).toThrow(BadUserInput)
    expect(() => parseRestOrderBy(`nope`, typeOf)).toThrow(BadUserInput)
  })

  test("thousands of random and mutated inputs never throw anything but BadUserInput", () => {
    const alphabet = `abcnameployes[]():,"'.\\ eqgtlinNUL0123456789%-_`
    const seeds = [`name[eq]:"A"`, `or(name[eq]:A,employees[gt]:1)`, `stage[in]:[NEW,MEETING]`, `not(name[like]:"%x%")`]
    let random = 42
    const next = () => (random = (random * 1103515245 + 12345) % 2147483648) / 2147483648
    for (let i = 0; i < 5000; i++) {
      const seed = seeds[i % seeds.length]!
      const mutated = i % 2 === 0
        ? Array.from({ length: Math.floor(next() * 30) }, () => alphabet[Math.floor(next() * alphabet.length)]).join("")
        : [...seed].map((c) => (next() < 0.15 ? alphabet[Math.floor(next() * alphabet.length)] : c)).join("")
      try {
        parse(mutated)
      } catch (e) {
        if (!(e instanceof BadUserInput)) throw new Error(`${JSON.stringify(mutated)} threw ${e}`)
      }
    }
  })
})
