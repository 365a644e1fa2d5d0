import { Effect } from "effect"
import type { ResultCacheShape } from "../../platform/cache/results.js"
import type { Models } from "./models.js"
import type { RecordsShape } from "./service.js"
import { tablesWritten } from "./totals.js"
import type { Writes } from "./write.js"

/**
 * Moves the write epochs of the tables a write may have changed, once it is over (each of these writes
 * commits its own transaction): the result cache then loads every total over them again, on every instance.
 * A write that failed moves them too, which costs only a reload.
 */
export const bumpAfterWrite = (models: Models, results: ResultCacheShape, workspaceId: string, objectName: string, reachesReferrers: boolean) =>
  Effect.flatMap(models.modelFor(workspaceId), (model) =>
    Effect.suspend(() => {
      const object = model.metadata.objects.find((o) => o.nameSingular === objectName)
      return object ? results.bump(workspaceId, tablesWritten(model, object, reachesReferrers)) : Effect.void
    })).pipe(Effect.catchAllCause((cause) => Effect.logError("result cache: write epochs not moved", cause)))

/** The records writes, each followed by its bump (hard deletes and merges reach the tables referring to the object). */
export const committing = (models: Models, results: ResultCacheShape, writes: Writes, merge: RecordsShape["merge"]) => {
  const after = (reachesReferrers: boolean) =>
  <A, E>(workspaceId: string, objectName: string, write: Effect.Effect<A, E>) =>
    Effect.ensuring(write, bumpAfterWrite(models, results, workspaceId, objectName, reachesReferrers))
  const own = after(false)
  const referrers = after(true)
  return {
    createMany: ((scope, object, ...rest) => own(scope.workspaceId, object, writes.createMany(scope, object, ...rest))) satisfies RecordsShape["createMany"],
    updateOne: ((scope, object, ...rest) => own(scope.workspaceId, object, writes.updateOne(scope, object, ...rest))) satisfies RecordsShape["updateOne"],
    updateMany: ((scope, object, ...rest) => own(scope.workspaceId, object, writes.updateMany(scope, object, ...rest))) satisfies RecordsShape["updateMany"],
    deleteMany: ((scope, object, ...rest) => own(scope.workspaceId, object, writes.deleteMany(scope, object, ...rest))) satisfies RecordsShape["deleteMany"],
    restoreMany: ((scope, object, ...rest) => own(scope.workspaceId, object, writes.restoreMany(scope, object, ...rest))) satisfies RecordsShape["restoreMany"],
    destroyMany: ((scope, object, ...rest) => referrers(scope.workspaceId, object, writes.destroyMany(scope, object, ...rest))) satisfies RecordsShape["destroyMany"],
    merge: ((scope, object, ...rest) => referrers(scope.workspaceId, object, merge(scope, object, ...rest))) satisfies RecordsShape["merge"]
  }
}
