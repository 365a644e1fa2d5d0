import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { Forbidden } from "../../domain/errors.js"

/** A row of core."twoFactorAuthenticationMethod"; `secret` is sealed (secret-box.ts). */
export interface TwoFactorMethodRow {
  readonly id: string
  readonly userWorkspaceId: string
  readonly strategy: "TOTP"
  readonly status: "PENDING" | "VERIFIED"
  readonly secret: string
  readonly lastUsedStep: string | null
  readonly createdAt: Date | string
}

export const methodsOf = (userWorkspaceId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<TwoFactorMethodRow>`SELECT * FROM core."twoFactorAuthenticationMethod"
                            WHERE "userWorkspaceId" = ${userWorkspaceId} ORDER BY "createdAt"`)

/** Twenty's AuthException subcodes, answered FORBIDDEN; the client then asks for a code or starts provisioning. */
export const verificationRequired = new Forbidden({
  message: "Two factor authentication verification required",
  subCode: "TWO_FACTOR_AUTHENTICATION_VERIFICATION_REQUIRED"
})
export const provisionRequired = new Forbidden({
  message: "Two factor authentication setup required",
  subCode: "TWO_FACTOR_AUTHENTICATION_PROVISION_REQUIRED"
})

/**
 * Before a login token becomes workspace tokens: a member with a verified method must give a code
 * (getAuthTokensFromOTP); in a workspace that enforces 2FA, a member without one must set one up first.
 */
export const requireSecondFactor = (userWorkspaceId: string, workspace: { readonly isTwoFactorAuthenticationEnforced: boolean }) =>
  Effect.flatMap(methodsOf(userWorkspaceId), (methods) => {
    if (methods.some((m) => m.status === "VERIFIED")) return Effect.fail(verificationRequired)
    if (workspace.isTwoFactorAuthenticationEnforced) return Effect.fail(provisionRequired)
    return Effect.void
  })
