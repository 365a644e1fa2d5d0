/**
 * A CODE step owns its logic function, as in Twenty: a new draft copies the functions of the version it
 * starts from (editing the draft's code leaves the published version's alone), and deleting the step deletes
 * its function. Both run in the caller's transaction.
 */
import type { SqlClient, SqlError } from "@effect/sql"
import { Effect } from "effect"
import { deleteFunction, findFunction, insertFunction } from "./store.js"

const codeStepFunctionId = (step: unknown): string | null => {
  if (step === null || typeof step !== "object" || (step as { type?: unknown }).type !== "CODE") return null
  const input = (step as { settings?: { input?: { logicFunctionId?: unknown } } }).settings?.input
  return typeof input?.logicFunctionId === "string" ? input.logicFunctionId : null
}

/** The step pointing at a copy of its function when it is a CODE step (a step whose function is gone is kept as is). */
export const copyCodeStepFunction = <S>(workspaceId: string, step: S) =>
  Effect.gen(function*() {
    const id = codeStepFunctionId(step)
    const original = id ? yield* findFunction(workspaceId, id) : null
    if (!original) return step
    const { id: _id, workspaceId: _ws, createdAt: _c, updatedAt: _u, ...fields } = original
    const copy = yield* insertFunction(workspaceId, crypto.randomUUID(), fields)
    const { settings } = step as { settings: { input: Record<string, unknown> } }
    return { ...step, settings: { ...settings, input: { ...settings.input, logicFunctionId: copy.id } } }
  })

/** `steps` with each CODE step pointing at a copy of its function. */
export const copyCodeStepFunctions = (workspaceId: string, steps: unknown) =>
  Array.isArray(steps) ? Effect.forEach(steps, (step: unknown) => copyCodeStepFunction(workspaceId, step)) : Effect.succeed(steps)

export const deleteCodeStepFunction = (workspaceId: string, step: unknown): Effect.Effect<void, SqlError.SqlError, SqlClient.SqlClient> => {
  const id = codeStepFunctionId(step)
  return id ? Effect.asVoid(deleteFunction(workspaceId, id)) : Effect.void
}
