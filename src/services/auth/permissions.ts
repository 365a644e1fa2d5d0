import type { AuthContext } from "../../domain/auth.js"

/** A caller bound to one workspace: a member's session or an API key. Settings doors check `Permissions.requireFlag`. */
export type WorkspaceCaller = Exclude<AuthContext, { kind: "workspaceAgnostic" }>
