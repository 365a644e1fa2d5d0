import type { FieldMetadata, ObjectMetadata } from "../../domain/metadata.js"
import type { AuditAbout } from "./outbox.js"

/** What a data-model change's audit event says: the object's name and id, or the field's. Both APIs (GraphQL, REST) use these. */
export const objectChange = (object: Pick<ObjectMetadata, "id" | "nameSingular">): AuditAbout => ({
  objectName: object.nameSingular,
  recordId: object.id
})

export const fieldChange = (field: Pick<FieldMetadata, "id" | "name" | "objectMetadataId">): AuditAbout => ({
  recordId: field.id,
  details: { fieldName: field.name, objectMetadataId: field.objectMetadataId }
})
