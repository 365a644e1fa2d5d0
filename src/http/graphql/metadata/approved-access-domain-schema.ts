/** Twenty's approved access domains on `/metadata` (twenty-client-sdk's types). */
export const approvedAccessDomainTypeDefs = /* GraphQL */ `
type ApprovedAccessDomain { id: UUID! domain: String! isValidated: Boolean! createdAt: DateTime! }

input CreateApprovedAccessDomainInput { domain: String! email: String! }
input DeleteApprovedAccessDomainInput { id: UUID! }
input ValidateApprovedAccessDomainInput { validationToken: String! approvedAccessDomainId: UUID! }

extend type Query {
  getApprovedAccessDomains: [ApprovedAccessDomain!]!
}

extend type Mutation {
  createApprovedAccessDomain(input: CreateApprovedAccessDomainInput!): ApprovedAccessDomain!
  deleteApprovedAccessDomain(input: DeleteApprovedAccessDomainInput!): Boolean!
  validateApprovedAccessDomain(input: ValidateApprovedAccessDomainInput!): ApprovedAccessDomain!
}
`
