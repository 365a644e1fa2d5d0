import { Effect } from "effect"
import { Forbidden } from "../../domain/errors.js"
import type { WorkspaceCaller } from "../auth/permissions.js"
import type { PermissionsShape } from "../permissions/index.js"
import { userWorkspaceIdOf } from "./reads.js"
import type { ViewRow, ViewWriter } from "./types.js"

// Twenty's ViewException messages (view/exceptions/view.exception.ts).
const VIEW_CREATE_DENIED = "You do not have permission to create workspace-level views"
const VIEW_MODIFY_DENIED = "You do not have permission to modify this view"

/** Twenty's ViewAccessService (view-permissions/services/view-access.service.ts). */
export const makeViewAccess = (permissions: PermissionsShape) => {
  const hasViewsFlag = (caller: WorkspaceCaller) => Effect.map(permissions.flagsOf(caller), (flags) => flags.has("VIEWS"))

  /** Twenty's ViewAccessService: VIEWS, or the caller's own UNLISTED view. */
  const requireMayModify = (caller: ViewWriter, view: ViewRow) =>
    caller.kind === "application" ? Effect.void : Effect.flatMap(hasViewsFlag(caller), (allowed) => {
      const own = view.visibility === "UNLISTED" && view.createdByUserWorkspaceId !== null &&
        view.createdByUserWorkspaceId === userWorkspaceIdOf(caller)
      return allowed || own ? Effect.void : Effect.fail(new Forbidden({ message: VIEW_MODIFY_DENIED }))
    })
  /** WORKSPACE views need VIEWS; UNLISTED ones need a member (not an API key). */
  const requireMayCreate = (caller: ViewWriter, visibility: string) =>
    caller.kind === "application"
      ? Effect.void
      : visibility === "UNLISTED"
      ? (caller.kind === "user" ? Effect.void : Effect.fail(new Forbidden({ message: VIEW_CREATE_DENIED })))
      : Effect.flatMap(hasViewsFlag(caller), (allowed) => allowed ? Effect.void : Effect.fail(new Forbidden({ message: VIEW_CREATE_DENIED })))

  return { requireMayModify, requireMayCreate }
}

export type ViewAccess = ReturnType<typeof makeViewAccess>
