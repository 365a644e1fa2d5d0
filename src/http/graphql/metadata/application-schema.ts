/**
 * Twenty's application API on `/metadata` as the `twenty` CLI of twenty-sdk 2.43 calls it (types as the
 * metadata schema of twenty-client-sdk 2.43 has them, the fields Score serves).
 */
export const applicationTypeDefs = /* GraphQL */ `
type ApplicationRegistration {
  id: UUID!
  universalIdentifier: String!
  name: String!
  oAuthClientId: String!
}

type CreateApplicationRegistration {
  applicationRegistration: ApplicationRegistration!
  clientSecret: String!
}

type Application {
  id: UUID!
  name: String!
  universalIdentifier: String!
  canBeUninstalled: Boolean!
}

type DevelopmentApplication {
  id: String!
  universalIdentifier: String!
}

type WorkspaceMigration {
  applicationUniversalIdentifier: String!
  actions: JSON!
}

type ApplicationFileUploadTarget {
  fileId: UUID!
  fileFolder: FileFolder!
  filePath: String!
  uploadUrl: String!
  contentType: String!
  expiresAt: DateTime!
}

type ApplicationFileUploadError {
  fileFolder: FileFolder!
  filePath: String!
  message: String!
}

type CreateApplicationFileUploadsResult {
  targets: [ApplicationFileUploadTarget!]!
  errors: [ApplicationFileUploadError!]!
}

type File {
  id: UUID!
  path: String!
  size: Float!
  createdAt: DateTime!
}

type ApplicationFileCompletionError {
  fileId: UUID!
  message: String!
}

type CompleteApplicationFileUploadsResult {
  files: [File!]!
  errors: [ApplicationFileCompletionError!]!
}

input CreateApplicationRegistrationInput {
  name: String!
  universalIdentifier: String
  oAuthRedirectUris: [String!]
  oAuthScopes: [String!]
}

input ApplicationFileUploadRequestInput {
  fileFolder: FileFolder!
  filePath: String!
  size: Int!
}

extend type Query {
  findApplicationRegistrationByUniversalIdentifier(universalIdentifier: String!): ApplicationRegistration
  applicationCoreGraphqlSchema(applicationUniversalIdentifier: String!): String!
}

extend type Mutation {
  createApplicationRegistration(input: CreateApplicationRegistrationInput!): CreateApplicationRegistration!
  createDevelopmentApplication(universalIdentifier: String!, name: String!): DevelopmentApplication!
  createApplicationFileUploads(applicationUniversalIdentifier: String!, files: [ApplicationFileUploadRequestInput!]!): CreateApplicationFileUploadsResult!
  completeApplicationFileUploads(applicationUniversalIdentifier: String!, fileIds: [UUID!]!): CompleteApplicationFileUploadsResult!
  syncApplication(manifest: JSON!, dryRun: Boolean, inferDeletionFromMissingEntities: Boolean): WorkspaceMigration!
  uninstallApplication(universalIdentifier: String!): Boolean!
  completeAppTarballUpload(fileId: UUID!): ApplicationRegistration!
  installApplication(universalIdentifier: String!): Application!
}
`
