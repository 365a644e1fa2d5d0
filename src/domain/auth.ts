/** JWT types as Twenty names them; the signing key differs per type (and per workspace). */
export type TokenType = "ACCESS" | "REFRESH" | "LOGIN" | "WORKSPACE_AGNOSTIC" | "API_KEY" | "FILE" | "APPROVED_ACCESS_DOMAIN"

/**
 * How the user proved who they are (Twenty's AuthProviderEnum): set on the login token and carried by every
 * token of that sign-in, renewals included. Tokens from before it existed count as "password", as in Twenty.
 */
export type AuthProvider = "password" | "sso" | "google" | "microsoft"

export interface AccessTokenPayload {
  readonly sub: string
  readonly type: "ACCESS"
  readonly workspaceId: string
  readonly userId: string
  readonly userWorkspaceId: string
  /** The sign-in it belongs to (core."authSession"): a revoked session refuses it. */
  readonly sessionId: string
  readonly authProvider?: AuthProvider
}

export interface RefreshTokenPayload {
  readonly sub: string
  readonly type: "REFRESH"
  readonly workspaceId?: string
  readonly userId: string
  readonly jti: string
  readonly authProvider?: AuthProvider
  readonly targetedTokenType: "ACCESS" | "WORKSPACE_AGNOSTIC"
}

export interface LoginTokenPayload {
  readonly sub: string
  readonly type: "LOGIN"
  readonly workspaceId: string
  readonly jti: string
  readonly authProvider?: AuthProvider
}

export interface WorkspaceAgnosticTokenPayload {
  readonly sub: string
  readonly type: "WORKSPACE_AGNOSTIC"
  readonly userId: string
  readonly sessionId: string
  readonly authProvider?: AuthProvider
}

export interface ApiKeyTokenPayload {
  readonly sub: string
  readonly type: "API_KEY"
  readonly workspaceId: string
  readonly jti: string
}

/** A file's signed URL (`purpose: "read"`) or upload URL (`purpose: "upload"`): one file, one workspace. */
export interface FileTokenPayload {
  readonly sub: string
  readonly type: "FILE"
  readonly workspaceId: string
  readonly fileId: string
  readonly purpose: "read" | "upload"
}

/** The link mailed to validate an approved access domain (Twenty's APPROVED_ACCESS_DOMAIN token, 7 days). */
export interface ApprovedAccessDomainTokenPayload {
  readonly sub: string
  readonly type: "APPROVED_ACCESS_DOMAIN"
  readonly workspaceId: string
  readonly approvedAccessDomainId: string
  readonly domain: string
}

export type TokenPayload =
  | ApprovedAccessDomainTokenPayload
  | FileTokenPayload
  | AccessTokenPayload
  | RefreshTokenPayload
  | LoginTokenPayload
  | WorkspaceAgnosticTokenPayload
  | ApiKeyTokenPayload

export interface AuthToken {
  readonly token: string
  readonly expiresAt: Date
}

export interface AuthTokenPair {
  readonly accessOrWorkspaceAgnosticToken: AuthToken
  readonly refreshToken: AuthToken
}

export interface Workspace {
  readonly id: string
  readonly displayName: string | null
  readonly subdomain: string
  readonly logo: string | null
  /** An uploaded logo (core.file), signed into `logo` when read. */
  readonly logoFileId?: string | null
  readonly inviteHash: string
  readonly activationStatus: "PENDING_CREATION" | "ONGOING_CREATION" | "ACTIVE" | "INACTIVE" | "SUSPENDED"
  readonly defaultRoleId: string | null
  /** The creator until ownership is transferred: full access, cannot be removed or demoted. */
  readonly ownerUserId: string | null
  readonly metadataVersion: number
  readonly allowImpersonation: boolean
  readonly isPublicInviteLinkEnabled: boolean
  /** Members must set up and use a second factor to get workspace tokens. */
  readonly isTwoFactorAuthenticationEnforced: boolean
  readonly createdAt: string
  readonly updatedAt: string
  readonly deletedAt: string | null
}

export interface User {
  readonly id: string
  readonly firstName: string
  readonly lastName: string
  readonly email: string
  readonly isEmailVerified: boolean
  readonly disabled: boolean
  readonly canImpersonate: boolean
  readonly canAccessFullAdminPanel: boolean
  readonly locale: string
  readonly hasPassword: boolean
  readonly defaultWorkspaceId: string | null
  readonly createdAt: string
  readonly updatedAt: string
  readonly deletedAt: string | null
}

export interface UserWorkspace {
  readonly id: string
  readonly userId: string
  readonly workspaceId: string
  readonly roleId: string | null
  readonly locale: string
  readonly createdAt: string
  readonly updatedAt: string
  readonly deletedAt: string | null
}

export interface ApiKey {
  readonly id: string
  readonly workspaceId: string
  readonly name: string
  readonly expiresAt: string
  readonly revokedAt: string | null
  readonly roleId: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** Who is calling, resolved once per request by the auth pipeline. */
export type AuthContext =
  | {
    readonly kind: "user"
    readonly user: User
    readonly workspace: Workspace
    readonly userWorkspace: UserWorkspace
    readonly authProvider: AuthProvider
  }
  | { readonly kind: "apiKey"; readonly apiKey: ApiKey; readonly workspace: Workspace }
  | { readonly kind: "workspaceAgnostic"; readonly user: User; readonly authProvider: AuthProvider }
