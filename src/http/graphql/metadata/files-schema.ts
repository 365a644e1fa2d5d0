/** Twenty's file uploads on `/metadata` (twenty-client-sdk 2.43): upload URLs, and multipart pictures. */
export const filesTypeDefs = /* GraphQL */ `
scalar Upload

enum FileFolder {
  RecordExport
  CorePicture
  AgentChat
  BuiltLogicFunction
  BuiltFrontComponent
  PublicAsset
  Source
  FilesField
  Dependencies
  Workflow
  EmailAttachment
  EmailImage
  AppTarball
  GeneratedSdkClient
  Dpa
}

type FileWithSignedUrl {
  id: UUID!
  path: String!
  size: Float!
  createdAt: DateTime!
  url: String!
}

type FileUploadTarget {
  fileId: UUID!
  uploadUrl: String!
  contentType: String!
  expiresAt: DateTime!
}

extend type Mutation {
  createFileUpload(filename: String!, size: Float!, fileFolder: FileFolder!, fieldMetadataId: String, fieldMetadataUniversalIdentifier: String): FileUploadTarget!
  completeFileUpload(fileId: String!): FileWithSignedUrl!
  uploadWorkspaceLogo(file: Upload!): FileWithSignedUrl!
  uploadWorkspaceMemberProfilePicture(file: Upload!): FileWithSignedUrl!
  completeWorkspaceLogoUpload(fileId: String!): FileWithSignedUrl!
  completeWorkspaceMemberProfilePictureUpload(fileId: String!): FileWithSignedUrl!
  uploadFilesFieldFileByUniversalIdentifier(file: Upload!, fieldMetadataUniversalIdentifier: String!): FileWithSignedUrl!
}
`
