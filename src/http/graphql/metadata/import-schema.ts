/**
 * Score's bulk imports on `/metadata` (Twenty has no server-side bulk API): an upload given inline (bounded by
 * MAX_BODY_SIZE; large files go to `POST /rest/{plural}/import`, which streams) and the run's progress.
 * Exports stay on REST (`GET /rest/{plural}/export`): a stream is not a GraphQL answer.
 */
export const importTypeDefs = /* GraphQL */ `
enum RecordImportFormat { CSV JSONL }
enum RecordImportStatus { UPLOADING QUEUED RUNNING COMPLETED FAILED }

type RecordImportError {
  row: Int!
  message: String!
}

type RecordImport {
  id: UUID!
  objectNameSingular: String!
  format: RecordImportFormat!
  status: RecordImportStatus!
  emitEvents: Boolean!
  totalRows: Int!
  processedRows: Int!
  createdRows: Int!
  failedRows: Int!
  lastError: String
  createdAt: DateTime!
  updatedAt: DateTime!
  finishedAt: DateTime
  errors: [RecordImportError!]!
}

input CreateRecordImportInput {
  objectNameSingular: String!
  format: RecordImportFormat!
  content: String!
  mapping: JSON
  emitEvents: Boolean = true
}

extend type Query {
  recordImport(id: UUID!, errorsLimit: Int = 100): RecordImport!
}

extend type Mutation {
  createRecordImport(input: CreateRecordImportInput!): RecordImport!
}
`
