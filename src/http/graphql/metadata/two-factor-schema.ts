/** Twenty's TOTP two-factor authentication and its recovery codes, on `/metadata`. */
export const twoFactorTypeDefs = /* GraphQL */ `
type InitiateTwoFactorAuthenticationProvisioning { uri: String! }
type VerifyTwoFactorAuthenticationMethod { success: Boolean! }
type DeleteTwoFactorAuthenticationMethod {
  "Boolean that confirms query was dispatched"
  success: Boolean!
}
type TwoFactorAuthenticationMethodSummary { twoFactorAuthenticationMethodId: UUID! status: String! strategy: String! }
type TwoFactorAuthenticationRecoveryCode { recoveryCode: String! expiresAt: DateTime! }
type TwoFactorAuthenticationRecoveryStatus {
  hasVerifiedTwoFactorAuthenticationMethod: Boolean!
  isAwaitingRecoveryEnrollment: Boolean!
  pendingRecoveryCodeExpiresAt: DateTime
}

extend type UserWorkspace {
  "The caller's own membership only."
  twoFactorAuthenticationMethodSummary: [TwoFactorAuthenticationMethodSummary!]
}

extend type Query {
  twoFactorAuthenticationRecoveryStatus(userId: UUID!): TwoFactorAuthenticationRecoveryStatus!
}

extend type Mutation {
  getAuthTokensFromOTP(otp: String!, loginToken: String!, captchaToken: String, origin: String!): AuthTokens!
  initiateOTPProvisioning(loginToken: String!, origin: String!): InitiateTwoFactorAuthenticationProvisioning!
  initiateOTPProvisioningForAuthenticatedUser: InitiateTwoFactorAuthenticationProvisioning!
  deleteTwoFactorAuthenticationMethod(twoFactorAuthenticationMethodId: UUID!): DeleteTwoFactorAuthenticationMethod!
  verifyTwoFactorAuthenticationMethodForAuthenticatedUser(otp: String!): VerifyTwoFactorAuthenticationMethod!
  generateTwoFactorAuthenticationRecoveryCode(userId: UUID!, otp: String): TwoFactorAuthenticationRecoveryCode!
  revokeTwoFactorAuthenticationRecoveryCode(userId: UUID!): Boolean!
  getAuthTokensFromTwoFactorAuthenticationRecoveryCode(recoveryCode: String!, loginToken: String!, captchaToken: String, origin: String!): AuthTokens!
}
`
