import { Effect } from "effect"
import { findObjectByName } from "../../../domain/metadata.js"
import { Metadata } from "../../metadata/index.js"
import type { RecordsFailure } from "../../records/service.js"
import type { Selection } from "../../records/types.js"
import { StepFailed } from "./action.js"

/** Every active field of `objectName` at depth 0 (join columns for MANY_TO_ONE): what a record step returns. */
export const recordSelection = (workspaceId: string, objectName: string) =>
  Effect.gen(function*() {
    const metadata = yield* Effect.orDie(Effect.flatMap(Metadata, (m) => m.get(workspaceId)))
    const object = findObjectByName(metadata, objectName)
    if (!object) return yield* new StepFailed({ message: `Object ${objectName} not found` })
    const fields = object.fields.filter((f) => f.isActive).flatMap((f) =>
      f.type === "TS_VECTOR" ? [] : f.type === "RELATION" || f.type === "MORPH_RELATION"
        ? (f.relationType === "MANY_TO_ONE" ? [`${f.name}Id`] : [])
        : [f.name]
    )
    return { object: object.nameSingular, selection: { fields, relations: [] } satisfies Selection }
  })

/** A records failure as the step's error (its message is what Twenty shows in the run's stepInfos). */
export const asStepFailure = <A, R>(effect: Effect.Effect<A, RecordsFailure, R>) =>
  Effect.mapError(effect, (error) => new StepFailed({ message: error._tag === "SqlError" ? "Database error" : error.message }))

/** A UUID (v4 layout) derived from `key`: the id a record created by a step gets on every attempt. */
export const idempotentUuid = (key: string) => {
  const hex = new Bun.CryptoHasher("sha256").update(key).digest("hex")
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}
