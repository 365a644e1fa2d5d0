import { Lru } from "../../platform/lib/lru.js"
import { fingerprintOf } from "../metadata/fingerprint.js"
import { Model } from "./build-context.js"
import type { Statement } from "./statements.js"

/**
 * The schema a shared plan's SQL names: a workspace's own takes its place when the plan runs. Not a
 * camelCase name, so no object's table or field is called so; always quoted and followed by a dot.
 */
export const PLAN_SCHEMA = "_score_plan_schema_"
const PLAN_SCHEMA_REFERENCE = `"${PLAN_SCHEMA}".`

/** Data models (fingerprints) whose plans are kept at once; a model pushed out takes its plans with it. */
const SHARED_MODELS = 64
/** A workspace's own texts of shared statements kept (one a plan it ran, ~1–10 KB each); past it, made per run. */
const LOCAL_TEXTS_PER_WORKSPACE = 128

/**
 * Unrestricted read plans shared by the workspaces of one data model (SCHEMA_SHARING on): a plan is built
 * once on a model of the fingerprint that names PLAN_SCHEMA, and each workspace runs it with its own
 * schema in the text. The plan's SQL, row readers and answer are then one per model, not one per workspace
 * (a REST list at depth 1 kept ~70 KiB a workspace; `bun bench/workspace-cost.ts`, BENCH_KIND=rest).
 * Plans hold names and values only, never metadata ids: what differs between such workspaces is the schema.
 */
export const makeSharedPlans = (sharing: boolean) => {
  const models = new Lru<string, Model>(SHARED_MODELS)
  /** The model plans are built on: the fingerprint's shared one, or the workspace's own with sharing off. */
  const planModel = (model: Model): Model => {
    if (!sharing) return model
    const fingerprint = fingerprintOf(model.metadata)
    let shared = models.get(fingerprint)
    if (shared === undefined) {
      shared = new Model({ workspaceId: "", version: 0, schema: PLAN_SCHEMA, objects: model.metadata.objects })
      models.set(fingerprint, shared)
    }
    return shared
  }
  const texts = new WeakMap<Model, Map<Statement, Statement>>()
  /**
   * A shared plan's statement as `model`'s workspace runs it: the same object each time (the totals cache
   * keys its entries by statement object, reading its tables from the text).
   */
  const localStatement = (model: Model, statement: Statement): Statement => {
    if (!sharing) return statement
    let byStatement = texts.get(model)
    if (byStatement === undefined) texts.set(model, byStatement = new Map())
    let local = byStatement.get(statement)
    if (local === undefined) {
      local = { text: statement.text.replaceAll(PLAN_SCHEMA_REFERENCE, `"${model.metadata.schema}".`), params: statement.params }
      if (byStatement.size < LOCAL_TEXTS_PER_WORKSPACE) byStatement.set(statement, local)
    }
    return local
  }
  return { planModel, localStatement }
}

export type SharedPlans = ReturnType<typeof makeSharedPlans>
