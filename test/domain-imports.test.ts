import { expect, test } from "bun:test"
import * as fs from "node:fs"
import * as path from "node:path"

const SCHEMA_DIR = path.join(import.meta.dir, "..", "src", "domain")

test("the domain types (src/domain) import nothing from the rest of src/", () => {
  const files = fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith(".ts"))
  expect(files.length).toBeGreaterThan(0)
  const outside = files.flatMap((file) => {
    const source = fs.readFileSync(path.join(SCHEMA_DIR, file), "utf8")
    return [...source.matchAll(/from\s+["'](\.[^"']*)["']/g)]
      .map((m) => m[1]!)
      .filter((specifier) => !path.resolve(SCHEMA_DIR, specifier).startsWith(SCHEMA_DIR + path.sep))
      .map((specifier) => `${file}: ${specifier}`)
  })
  expect(outside).toEqual([])
})
