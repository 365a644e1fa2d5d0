import { Effect } from "effect"
import type { AuthContext } from "../../domain/auth.js"
import { Forbidden } from "../../domain/errors.js"
import { Workspaces } from "../workspace/index.js"

export type WorkspaceCaller = Exclude<AuthContext, { kind: "workspaceAgnostic" }>

/**
 * Twenty's settings permissions (API_KEYS_AND_WEBHOOKS, DATA_MODEL, ...): granted by a role with
 * canUpdateAllSettings, whether the caller is a member or an API key.
 */
export const requireSettingsPermission = (auth: WorkspaceCaller) =>
  Effect.gen(function*() {
    const workspaces = yield* Workspaces
    const roleId = auth.kind === "user" ? auth.userWorkspace.roleId : auth.apiKey.roleId
    const role = roleId ? yield* workspaces.findRole(roleId) : null
    if (!role?.canUpdateAllSettings) {
      return yield* new Forbidden({ message: "Entity performing the request does not have permission", subCode: "PERMISSION_DENIED" })
    }
  })
