/** The auth part of Twenty's `/metadata` schema (type and argument names as Twenty's generated client expects). */
export const authTypeDefs = /* GraphQL */ `
scalar UUID
scalar DateTime
scalar JSON
scalar JSONObject

type AuthToken { token: String! expiresAt: DateTime! }
type AuthTokenPair { accessOrWorkspaceAgnosticToken: AuthToken! refreshToken: AuthToken! }
type AuthTokens { tokens: AuthTokenPair! }
type LoginToken { loginToken: AuthToken! }
type WorkspaceUrls { subdomainUrl: String! customUrl: String }
type WorkspaceUrlsAndId { id: UUID! workspaceUrls: WorkspaceUrls! }
type SignUp { loginToken: AuthToken! workspace: WorkspaceUrlsAndId! }
type CheckUserExist { exists: Boolean! availableWorkspacesCount: Float! isEmailVerified: Boolean! }
enum IdentityProviderType { OIDC SAML }
enum SSOIdentityProviderStatus { Active Inactive Error }
type SSOConnection { type: IdentityProviderType! id: UUID! issuer: String! name: String! status: SSOIdentityProviderStatus! }
type AvailableWorkspace {
  id: UUID!
  displayName: String
  logo: String
  inviteHash: String
  personalInviteToken: String
  loginToken: String
  sso: [SSOConnection!]!
  workspaceUrls: WorkspaceUrls!
}
type AvailableWorkspaces {
  availableWorkspacesForSignIn: [AvailableWorkspace!]!
  availableWorkspacesForSignUp: [AvailableWorkspace!]!
}
type AvailableWorkspacesAndAccessTokens { tokens: AuthTokenPair! availableWorkspaces: AvailableWorkspaces! }

enum AiModelTier { extraFast fast balanced smart extraSmart }
enum OnboardingStatus {
  PLAN_REQUIRED WORKSPACE_ACTIVATION PROFILE_CREATION SYNC_EMAIL APPS_INSTALLATION INVITE_TEAM BOOK_CALL COMPLETED
}
enum WorkspaceActivationStatus { ACTIVE CREATED INACTIVE ONGOING_CREATION PENDING_CREATION SUSPENDED }
enum WorkspaceDiscoverability { HIDDEN MEMBERS_AND_INVITEES PUBLIC }

type Role {
  id: UUID!
  universalIdentifier: UUID
  standardId: UUID
  label: String!
  description: String
  icon: String
  isEditable: Boolean!
  canUpdateAllSettings: Boolean!
  canAccessAllTools: Boolean!
  canReadAllObjectRecords: Boolean!
  canUpdateAllObjectRecords: Boolean!
  canSoftDeleteAllObjectRecords: Boolean!
  canDestroyAllObjectRecords: Boolean!
  canBeAssignedToUsers: Boolean!
  canBeAssignedToAgents: Boolean!
  canBeAssignedToApiKeys: Boolean!
}

type Workspace {
  id: UUID!
  logoFileId: UUID
  isInternalMessagesImportEnabled: Boolean
  allowedIframeOrigins: [String!]
  editableProfileFields: [String!]
  aiChatModelTier: AiModelTier
  aiAgentModelTier: AiModelTier
  isAutoModelSelectionEnabled: Boolean
  aiModelIdByTier: JSON
  aiEvaluationModelId: String
  aiAdditionalInstructions: String
  hasValidSignedEnterpriseKey: Boolean
  hasValidEnterpriseValidityToken: Boolean
  workspaceCustomApplicationId: String
  displayName: String
  logo: String
  inviteHash: String
  activationStatus: WorkspaceActivationStatus!
  subdomain: String!
  customDomain: String
  isCustomDomainEnabled: Boolean!
  workspaceUrls: WorkspaceUrls!
  isPublicInviteLinkEnabled: Boolean!
  allowImpersonation: Boolean!
  isGoogleAuthEnabled: Boolean!
  isMicrosoftAuthEnabled: Boolean!
  isPasswordAuthEnabled: Boolean!
  isGoogleAuthBypassEnabled: Boolean!
  isMicrosoftAuthBypassEnabled: Boolean!
  isPasswordAuthBypassEnabled: Boolean!
  isTwoFactorAuthenticationEnforced: Boolean!
  workspaceDiscoverability: WorkspaceDiscoverability!
  metadataVersion: Float!
  databaseSchema: String
  defaultRole: Role
  workspaceMembersCount: Float
  trashRetentionDays: Float!
  eventLogRetentionDays: Float!
  createdAt: DateTime!
  updatedAt: DateTime!
  deletedAt: DateTime
}

type UserWorkspace {
  id: UUID!
  userId: UUID!
  workspaceId: UUID!
  workspace: Workspace
  "The caller's own membership only: its settings and tool flags."
  permissionFlags: [PermissionFlagType!]
  "The caller's own membership only: per object, what its role may do, restricted fields by field id."
  objectsPermissions: [ObjectPermission!]
  objectPermissions: [ObjectPermission!]
  locale: String!
  createdAt: DateTime!
  updatedAt: DateTime!
  deletedAt: DateTime
}

type User {
  id: UUID!
  onboardingStatus: OnboardingStatus
  previousOnboardingStatus: OnboardingStatus
  userVars: JSONObject
  supportUserHash: String
  isWorkspaceCreator: Boolean
  firstName: String!
  lastName: String!
  email: String!
  isEmailVerified: Boolean!
  disabled: Boolean
  canImpersonate: Boolean!
  canAccessFullAdminPanel: Boolean!
  hasPassword: Boolean!
  locale: String!
  createdAt: DateTime!
  updatedAt: DateTime!
  deletedAt: DateTime
  currentWorkspace: Workspace
  currentUserWorkspace: UserWorkspace
  workspaces: [UserWorkspace!]!
  userWorkspaces: [UserWorkspace!]!
  availableWorkspaces: AvailableWorkspaces!
}

type ApiKey {
  id: UUID!
  name: String!
  expiresAt: DateTime!
  revokedAt: DateTime
  createdAt: DateTime!
  updatedAt: DateTime!
  workspaceId: UUID!
  role: Role!
}
type ApiKeyToken { token: String! }

input CreateApiKeyInput { name: String! expiresAt: String! revokedAt: String roleId: UUID }
input UpdateApiKeyInput { id: UUID! name: String expiresAt: String revokedAt: String }
input RevokeApiKeyInput { id: UUID! }
input GetApiKeyInput { id: UUID! }
input SignUpInNewWorkspaceInput { displayName: String subdomain: String }
input ActivateWorkspaceInput { displayName: String }
input UpdateWorkspaceInput {
  displayName: String
  defaultRoleId: UUID
  isTwoFactorAuthenticationEnforced: Boolean
  isPublicInviteLinkEnabled: Boolean
  inviteHash: String
}

type Query {
  checkUserExists(email: String!, captchaToken: String): CheckUserExist!
  currentUser: User!
  currentWorkspace: Workspace!
  apiKeys: [ApiKey!]!
  apiKey(input: GetApiKeyInput!): ApiKey
  getApiKeyRoles: [Role!]!
}

type Mutation {
  signUp(email: String!, password: String!, captchaToken: String, locale: String, verifyEmailRedirectPath: String): AvailableWorkspacesAndAccessTokens!
  signIn(email: String!, password: String!, captchaToken: String, locale: String, verifyEmailRedirectPath: String): AvailableWorkspacesAndAccessTokens!
  signUpInNewWorkspace(input: SignUpInNewWorkspaceInput): SignUp!
  getLoginTokenFromCredentials(email: String!, password: String!, captchaToken: String, locale: String, verifyEmailRedirectPath: String, origin: String!): LoginToken!
  getAuthTokensFromLoginToken(loginToken: String!, origin: String!): AuthTokens!
  renewToken(appToken: String!): AuthTokens!
  signOut(refreshToken: String): Boolean!
  activateWorkspace(data: ActivateWorkspaceInput!): Workspace!
  updateWorkspace(data: UpdateWorkspaceInput!): Workspace!
  createApiKey(input: CreateApiKeyInput!): ApiKey!
  updateApiKey(input: UpdateApiKeyInput!): ApiKey
  revokeApiKey(input: RevokeApiKeyInput!): ApiKey
  generateApiKeyToken(apiKeyId: UUID!, expiresAt: String!): ApiKeyToken!
}
`
