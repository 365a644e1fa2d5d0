import type { FieldType } from "./field-types.js"

/** Twenty's composite field types: one field stored as several columns, one per subfield. */

export const COMPOSITE_FIELD_TYPES = [
  "CURRENCY",
  "FULL_NAME",
  "EMAILS",
  "PHONES",
  "LINKS",
  "ADDRESS",
  "ACTOR",
  "RICH_TEXT_V2"
] as const

export type CompositeFieldType = (typeof COMPOSITE_FIELD_TYPES)[number]

export const isCompositeFieldType = (type: FieldType): type is CompositeFieldType =>
  (COMPOSITE_FIELD_TYPES as ReadonlyArray<FieldType>).includes(type)

export interface CompositeSubField {
  readonly name: string
  readonly type: FieldType
  readonly isRequired?: boolean
  /** When the composite field is unique, the unique index covers these subfields. */
  readonly isIncludedInUniqueConstraint?: boolean
}

/**
 * Subfields of each composite type. Each subfield is its own column, named
 * field name + capitalized subfield name: person.name → nameFirstName / nameLastName,
 * company.domainName → domainNamePrimaryLinkUrl, createdBy → createdBySource … (see compositeColumnName).
 */
export const COMPOSITE_TYPES: Record<CompositeFieldType, ReadonlyArray<CompositeSubField>> = {
  CURRENCY: [
    { name: "amountMicros", type: "NUMERIC" }, // amount × 1,000,000
    { name: "currencyCode", type: "TEXT" } // ISO 4217
  ],
  FULL_NAME: [
    { name: "firstName", type: "TEXT" },
    { name: "lastName", type: "TEXT" }
  ],
  EMAILS: [
    { name: "primaryEmail", type: "TEXT", isIncludedInUniqueConstraint: true },
    { name: "additionalEmails", type: "RAW_JSON" } // string[]
  ],
  PHONES: [
    // newest twenty-shared puts all three primary subfields in the unique constraint (older: number only)
    { name: "primaryPhoneNumber", type: "TEXT", isIncludedInUniqueConstraint: true },
    { name: "primaryPhoneCountryCode", type: "TEXT", isIncludedInUniqueConstraint: true }, // e.g. "FR"
    { name: "primaryPhoneCallingCode", type: "TEXT", isIncludedInUniqueConstraint: true }, // e.g. "+33"
    { name: "additionalPhones", type: "RAW_JSON" } // {number, countryCode, callingCode}[]
  ],
  LINKS: [
    { name: "primaryLinkLabel", type: "TEXT" },
    { name: "primaryLinkUrl", type: "TEXT", isIncludedInUniqueConstraint: true },
    { name: "secondaryLinks", type: "RAW_JSON" } // {url, label}[]
  ],
  ADDRESS: [
    { name: "addressStreet1", type: "TEXT" },
    { name: "addressStreet2", type: "TEXT" },
    { name: "addressCity", type: "TEXT" },
    { name: "addressPostcode", type: "TEXT" },
    { name: "addressState", type: "TEXT" },
    { name: "addressCountry", type: "TEXT" },
    { name: "addressLat", type: "NUMERIC" },
    { name: "addressLng", type: "NUMERIC" }
  ],
  ACTOR: [
    { name: "source", type: "SELECT", isRequired: true }, // one of ACTOR_SOURCES (Postgres enum)
    { name: "workspaceMemberId", type: "UUID" },
    { name: "name", type: "TEXT", isRequired: true },
    { name: "context", type: "RAW_JSON" } // e.g. { provider: "google" }
  ],
  RICH_TEXT_V2: [
    { name: "blocknote", type: "TEXT" }, // BlockNote JSON, as a string
    { name: "markdown", type: "TEXT" }
  ]
}

/** Column of a composite subfield: compositeColumnName("name", "firstName") === "nameFirstName". */
export const compositeColumnName = (fieldName: string, subFieldName: string): string =>
  fieldName + subFieldName.charAt(0).toUpperCase() + subFieldName.slice(1)

/** Values of ACTOR.source (Twenty's FieldActorSource, newest list). Option labels are the lowercased values. */
export const ACTOR_SOURCES = [
  "EMAIL",
  "CALENDAR",
  "WORKFLOW",
  "AGENT",
  "API",
  "IMPORT",
  "MANUAL",
  "SYSTEM",
  "WEBHOOK",
  "APPLICATION"
] as const

export type ActorSource = (typeof ACTOR_SOURCES)[number]
