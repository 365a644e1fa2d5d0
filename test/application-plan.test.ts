/** syncApplication's plan (services/applications/plan.ts), pure: what a manifest creates, updates and deletes. */
import { expect, test } from "bun:test"
import { Schema } from "effect"
import { Manifest } from "../src/services/applications/manifest.js"
import { planSync } from "../src/services/applications/plan.js"

const APP = "5c0e6f2a-7a41-4a51-9d1b-2f7c3e6a9b10"
const OBJECT = "8f3c1d2e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
const FIELD = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
const FN = "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f"

const manifest = (label: string, withFunction: boolean) =>
  Schema.decodeUnknownSync(Manifest)({
    application: { universalIdentifier: APP, displayName: "App" },
    objects: [{
      universalIdentifier: OBJECT, nameSingular: "postcard", namePlural: "postcards", labelSingular: label, labelPlural: "Postcards",
      fields: [{ universalIdentifier: FIELD, type: "TEXT", name: "title", label: "Title" }]
    }],
    logicFunctions: withFunction
      ? [{ universalIdentifier: FN, name: "greet", handlerName: "default.config.handler", sourceHandlerPath: "src/greet.ts", builtHandlerPath: "src/greet.mjs" }]
      : []
  })

const summary = (actions: ReturnType<typeof planSync>) => actions.map((a) => `${a.type} ${a.metadataName}`)

test("a first sync creates objects before their fields before functions", () => {
  expect(summary(planSync(null, manifest("Postcard", true)))).toEqual(["create objectMetadata", "create fieldMetadata", "create logicFunction"])
})

test("the same manifest again plans nothing", () => {
  expect(planSync(manifest("Postcard", true), manifest("Postcard", true))).toEqual([])
})

test("a changed label is an update with its diff; a function no longer listed is deleted first", () => {
  const actions = planSync(manifest("Postcard", true), manifest("Card", false))
  expect(summary(actions)).toEqual(["delete logicFunction", "update objectMetadata"])
  expect(actions[1]!.diff).toEqual({ labelSingular: { before: "Postcard", after: "Card" } })
})

test("without deletion inference (--no-delete) what the manifest dropped is kept", () => {
  expect(summary(planSync(manifest("Postcard", true), manifest("Postcard", false), false))).toEqual([])
})

test("the field of an object lists its object", () => {
  const [, field] = planSync(null, manifest("Postcard", false))
  expect(field!.flatEntity).toMatchObject({ name: "title", objectUniversalIdentifier: OBJECT })
})
