/** The data-model part of Twenty's `/metadata` schema: objects and fields, and their mutations. */
export const dataModelTypeDefs = /* GraphQL */ `
scalar ConnectionCursor

enum FieldMetadataType {
  ACTOR ADDRESS ARRAY BOOLEAN CURRENCY DATE DATE_TIME EMAILS FILES FULL_NAME LINKS MORPH_RELATION MULTI_SELECT
  NUMBER NUMERIC PHONES POSITION RATING RAW_JSON RELATION RICH_TEXT RICH_TEXT_V2 SELECT TEXT TS_VECTOR UUID
}
enum RelationType { ONE_TO_MANY MANY_TO_ONE }
"Twenty's object and field access enums; Score does not model them and answers null."
enum ObjectOpenRecordIn { SIDE_PANEL RECORD_PAGE USER_CHOICE }
enum MetadataReadability { OPEN PRIVATE INHERITED APPLICATION SYSTEM }
enum MetadataWritability { OPEN APPLICATION SYSTEM }

input CursorPaging { before: ConnectionCursor after: ConnectionCursor first: Int last: Int }
type PageInfo { hasNextPage: Boolean hasPreviousPage: Boolean startCursor: ConnectionCursor endCursor: ConnectionCursor }
input BooleanFieldComparison { is: Boolean isNot: Boolean }
input UUIDFilterComparison { is: Boolean isNot: Boolean eq: UUID neq: UUID in: [UUID!] notIn: [UUID!] }
input ObjectFilter {
  and: [ObjectFilter!] or: [ObjectFilter!] id: UUIDFilterComparison
  isCustom: BooleanFieldComparison isRemote: BooleanFieldComparison isActive: BooleanFieldComparison
  isSystem: BooleanFieldComparison isUIReadOnly: BooleanFieldComparison isSearchable: BooleanFieldComparison
}
input FieldFilter {
  and: [FieldFilter!] or: [FieldFilter!] id: UUIDFilterComparison
  isCustom: BooleanFieldComparison isActive: BooleanFieldComparison isSystem: BooleanFieldComparison
  isUIReadOnly: BooleanFieldComparison objectMetadataId: UUIDFilterComparison
}

type Relation {
  type: RelationType!
  sourceObjectMetadata: Object!
  targetObjectMetadata: Object!
  sourceFieldMetadata: Field!
  targetFieldMetadata: Field!
}

type Field {
  id: UUID!
  universalIdentifier: String!
  applicationId: UUID
  writability: MetadataWritability
  isSearchable: Boolean
  isAuditLogged: Boolean
  type: FieldMetadataType!
  name: String!
  label: String!
  description: String
  icon: String
  isCustom: Boolean
  isActive: Boolean
  isSystem: Boolean
  isUIReadOnly: Boolean
  isUIEditable: Boolean
  isNullable: Boolean
  isUnique: Boolean
  defaultValue: JSON
  options: JSON
  settings: JSON
  objectMetadataId: UUID!
  isLabelSyncedWithName: Boolean
  morphId: UUID
  createdAt: DateTime!
  updatedAt: DateTime!
  relation: Relation
  object: Object
}

type FieldEdge { node: Field! cursor: ConnectionCursor! }
type FieldConnection { pageInfo: PageInfo! edges: [FieldEdge!]! totalCount: Int! }
type ObjectFieldsConnection { pageInfo: PageInfo! edges: [FieldEdge!]! totalCount: Int! }

type Object {
  id: UUID!
  universalIdentifier: String!
  applicationId: UUID
  color: String
  openRecordIn: ObjectOpenRecordIn
  readability: MetadataReadability
  readabilityParentFieldUniversalIdentifiers: [UUID!]
  writability: MetadataWritability
  dataSourceId: UUID
  nameSingular: String!
  namePlural: String!
  labelSingular: String!
  labelPlural: String!
  description: String
  icon: String
  shortcut: String
  isCustom: Boolean!
  isRemote: Boolean!
  isActive: Boolean!
  isSystem: Boolean!
  isUIReadOnly: Boolean!
  isUIEditable: Boolean!
  isUICreatable: Boolean!
  isSearchable: Boolean!
  isLabelSyncedWithName: Boolean!
  labelIdentifierFieldMetadataId: UUID
  imageIdentifierFieldMetadataId: UUID
  duplicateCriteria: [[String!]!]
  createdAt: DateTime!
  updatedAt: DateTime!
  fieldsList: [Field!]!
  fields(paging: CursorPaging! = { first: 10 }, filter: FieldFilter! = {}): ObjectFieldsConnection!
}

type ObjectEdge { node: Object! cursor: ConnectionCursor! }
type ObjectConnection { pageInfo: PageInfo! edges: [ObjectEdge!]! totalCount: Int! }

input CreateObjectInput {
  nameSingular: String! namePlural: String! labelSingular: String! labelPlural: String!
  description: String icon: String shortcut: String color: String skipNameField: Boolean isRemote: Boolean
  primaryKeyColumnType: String primaryKeyFieldMetadataSettings: JSON isLabelSyncedWithName: Boolean
}
input CreateOneObjectInput { object: CreateObjectInput! }
input UpdateObjectPayload {
  labelSingular: String labelPlural: String nameSingular: String namePlural: String description: String
  icon: String shortcut: String color: String isActive: Boolean labelIdentifierFieldMetadataId: UUID
  imageIdentifierFieldMetadataId: UUID isLabelSyncedWithName: Boolean isSearchable: Boolean
}
input UpdateOneObjectInput { update: UpdateObjectPayload! id: UUID! }
input DeleteOneObjectInput { id: UUID! }

input CreateFieldInput {
  type: FieldMetadataType! name: String! label: String! description: String icon: String
  isCustom: Boolean isActive: Boolean isSystem: Boolean isUIEditable: Boolean isUIReadOnly: Boolean
  isNullable: Boolean isUnique: Boolean defaultValue: JSON options: JSON settings: JSON
  objectMetadataId: UUID! isLabelSyncedWithName: Boolean isRemoteCreation: Boolean
  relationCreationPayload: JSON morphRelationsCreationPayload: [JSON!]
}
input CreateOneFieldMetadataInput { field: CreateFieldInput! }
input UpdateFieldInput {
  universalIdentifier: String name: String label: String description: String icon: String
  isActive: Boolean isSystem: Boolean isUIEditable: Boolean isUIReadOnly: Boolean isNullable: Boolean
  isUnique: Boolean defaultValue: JSON options: JSON settings: JSON objectMetadataId: UUID
  isLabelSyncedWithName: Boolean morphRelationsUpdatePayload: [JSON!]
}
input UpdateOneFieldMetadataInput { id: UUID! update: UpdateFieldInput! }
input DeleteOneFieldInput { id: UUID! }

extend type Query {
  objects(paging: CursorPaging! = { first: 10 }, filter: ObjectFilter! = {}): ObjectConnection!
  object(id: UUID!): Object!
  fields(paging: CursorPaging! = { first: 10 }, filter: FieldFilter! = {}): FieldConnection!
  field(id: UUID!): Field!
}

extend type Mutation {
  createOneObject(input: CreateOneObjectInput!): Object!
  updateOneObject(input: UpdateOneObjectInput!): Object!
  deleteOneObject(input: DeleteOneObjectInput!): Object!
  createOneField(input: CreateOneFieldMetadataInput!): Field!
  updateOneField(input: UpdateOneFieldMetadataInput!): Field!
  deleteOneField(input: DeleteOneFieldInput!): Field!
}
`
