/** Twenty's SSO identity providers and the public sign-in options of a workspace, on `/metadata` (OIDC; SAML is not served). */
export const ssoTypeDefs = /* GraphQL */ `
type WorkspaceNameAndId { displayName: String id: UUID! }
type SetupSso { id: UUID! type: IdentityProviderType! issuer: String! name: String! status: SSOIdentityProviderStatus! }
type EditSso { id: UUID! type: IdentityProviderType! issuer: String! name: String! status: SSOIdentityProviderStatus! }
type DeleteSso { identityProviderId: UUID! }
type FindAvailableSSOIDP {
  type: IdentityProviderType!
  id: UUID!
  issuer: String!
  name: String!
  status: SSOIdentityProviderStatus!
  workspace: WorkspaceNameAndId!
}
type SSOIdentityProvider { id: UUID! name: String! type: IdentityProviderType! status: SSOIdentityProviderStatus! issuer: String! }
type AuthProviders { sso: [SSOIdentityProvider!]! google: Boolean! magicLink: Boolean! password: Boolean! microsoft: Boolean! }
type AuthBypassProviders { google: Boolean! password: Boolean! microsoft: Boolean! }
type PublicWorkspaceData {
  id: UUID!
  authProviders: AuthProviders!
  authBypassProviders: AuthBypassProviders
  logo: String
  displayName: String
  workspaceUrls: WorkspaceUrls!
}
type GetAuthorizationUrlForSSO { authorizationURL: String! type: String! id: UUID! }

input SetupOIDCSsoInput { name: String! issuer: String! clientID: String! clientSecret: String! }
input EditSsoInput { id: UUID! status: SSOIdentityProviderStatus! }
input DeleteSsoInput { identityProviderId: UUID! }
input GetAuthorizationUrlForSSOInput { identityProviderId: UUID! workspaceInviteHash: String }

extend type Query {
  getSSOIdentityProviders: [FindAvailableSSOIDP!]!
  getPublicWorkspaceDataByDomain(origin: String): PublicWorkspaceData!
}

extend type Mutation {
  createOIDCIdentityProvider(input: SetupOIDCSsoInput!): SetupSso!
  editSSOIdentityProvider(input: EditSsoInput!): EditSso!
  deleteSSOIdentityProvider(input: DeleteSsoInput!): DeleteSso!
  getAuthorizationUrlForSSO(input: GetAuthorizationUrlForSSOInput!): GetAuthorizationUrlForSSO!
}
`
