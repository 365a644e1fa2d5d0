import { Effect } from "effect"
import { asObject, asStrings } from "../json.js"
import { type ActionExecutor, StepFailed } from "./action.js"

/** More items than this fail the step rather than loop for hours. */
const MAX_ITEMS = 10_000

const itemsOf = (value: unknown): Array<unknown> | null => {
  if (Array.isArray(value)) return value
  if (value === undefined || value === null || value === "") return []
  if (typeof value !== "string") return null
  try {
    const parsed: unknown = JSON.parse(value)
    return Array.isArray(parsed) ? parsed : null
  } catch {
    return null
  }
}

/**
 * Twenty's ITERATOR `{ items, initialLoopStepIds }`: each run of the step takes the next item →
 * `{ currentItem, currentItemIndex, hasProcessedAllItems: false }` and goes on to `initialLoopStepIds` (the
 * loop's last step leads back here, flow.ts); after the last item → `{ hasProcessedAllItems: true }` and the
 * step's own `nextStepIds`. The executor resets the loop's steps before each item.
 */
export const iteratorAction: ActionExecutor = {
  type: "ITERATOR",
  execute: ({ input, previousResult }) =>
    Effect.gen(function*() {
      const items = itemsOf(input["items"])
      if (items === null) return yield* new StepFailed({ message: "Iterator items must be an array" })
      if (items.length > MAX_ITEMS) return yield* new StepFailed({ message: `Iterator items are limited to ${MAX_ITEMS}` })
      const previous = asObject(previousResult)
      const index = previous["hasProcessedAllItems"] === false && typeof previous["currentItemIndex"] === "number"
        ? previous["currentItemIndex"] + 1
        : 0
      const loop = asStrings(input["initialLoopStepIds"])
      if (index >= items.length || loop.length === 0) return { result: { hasProcessedAllItems: true } }
      return {
        result: { currentItem: items[index], currentItemIndex: index, hasProcessedAllItems: false },
        nextStepIds: loop
      }
    })
}
