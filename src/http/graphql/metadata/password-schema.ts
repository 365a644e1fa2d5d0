/** Twenty's password reset and email verification, on `/metadata`. */
export const passwordTypeDefs = /* GraphQL */ `
type EmailPasswordResetLink { success: Boolean! }
type ValidatePasswordResetToken { id: UUID! email: String! }
type InvalidatePassword { success: Boolean! }
type ResendEmailVerificationToken { success: Boolean! }
type VerifyEmailAndGetLoginToken { loginToken: AuthToken! workspaceUrls: WorkspaceUrls! }

extend type Query {
  validatePasswordResetToken(passwordResetToken: String!): ValidatePasswordResetToken!
}

extend type Mutation {
  emailPasswordResetLink(email: String!, workspaceId: UUID): EmailPasswordResetLink!
  updatePasswordViaResetToken(passwordResetToken: String!, newPassword: String!): InvalidatePassword!
  resendEmailVerificationToken(email: String!, origin: String!): ResendEmailVerificationToken!
  verifyEmailAndGetLoginToken(emailVerificationToken: String!, email: String!, captchaToken: String, origin: String!): VerifyEmailAndGetLoginToken!
  verifyEmailAndGetWorkspaceAgnosticToken(emailVerificationToken: String!, email: String!, captchaToken: String): AvailableWorkspacesAndAccessTokens!
}
`
