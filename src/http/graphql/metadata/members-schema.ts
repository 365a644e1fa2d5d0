/** Twenty's workspace invitations, joining a workspace and removing members, on `/metadata`. */
export const membersTypeDefs = /* GraphQL */ `
type WorkspaceInvitation { id: UUID! email: String! roleId: UUID expiresAt: DateTime! }
type SendInvitationsOutput { success: Boolean! errors: [String!]! result: [WorkspaceInvitation!]! }
type WorkspaceInviteHashValid { isValid: Boolean! }

extend type Query {
  findWorkspaceInvitations: [WorkspaceInvitation!]!
  checkWorkspaceInviteHashIsValid(inviteHash: String!): WorkspaceInviteHashValid!
  findWorkspaceFromInviteHash(inviteHash: String!): Workspace!
}

extend type Mutation {
  sendInvitations(emails: [String!]!, roleId: UUID): SendInvitationsOutput!
  resendWorkspaceInvitation(appTokenId: String!): SendInvitationsOutput!
  deleteWorkspaceInvitation(appTokenId: String!): String!
  signUpInWorkspace(
    email: String!
    password: String!
    workspaceId: String
    workspaceInviteHash: String
    workspacePersonalInviteToken: String
    captchaToken: String
    locale: String
    verifyEmailRedirectPath: String
  ): SignUp!
  deleteUserFromWorkspace(workspaceMemberIdToDelete: String!): UserWorkspace!
  deleteUser: User!
}
`
