/**
 * Twenty's standard data model, as plain data (field types: field-types.ts, composite-types.ts).
 * Over 400 lines because it is data: one literal per standard object, kept together to compare with Twenty.
 *
 * Source: twentyhq/twenty, the "twenty-standard-application" flat-metadata builders
 * (packages/twenty-server/src/engine/workspace-manager/twenty-standard-application/utils/
 * {field-metadata/compute-*-standard-flat-field-metadata.util.ts, object-metadata/create-standard-flat-object-metadata.util.ts}),
 * twenty-shared/src/metadata/constants/standard-object.constant.ts and the composite types.
 *
 * Version targeted: the latest shape that still has favorites (late 2025 / early 2026 releases):
 *  - every object carries the same system fields (see SYSTEM_FIELDS), updatedBy included;
 *  - noteTarget / taskTarget / attachment / timelineActivity point at their targets through
 *    MORPH_RELATION fields named target<Object> (join column target<Object>Id);
 *  - attachment has `file` (FILES); `fullPath` and `fileCategory` are deprecated system fields;
 *  - person has `avatarFile` (FILES) next to the deprecated `avatarUrl`.
 * Notable differences elsewhere:
 *  - older (≤ mid 2025): noteTarget/taskTarget/attachment used plain relations named person/company/
 *    opportunity/note/task (columns personId…), timelineActivity too; no updatedBy; favorite.position
 *    was NUMBER; attachment had `author` (→ workspaceMember.authoredAttachments) and `type`; note.body RICH_TEXT.
 *  - newest branch in the index: favorite/favoriteFolder are gone (moved to core navigation items);
 *    company drops employees/xLink/idealCustomerProfile and renames ARR to `annualRevenue`; person drops
 *    city/xLink; RICH_TEXT_V2 is renamed RICH_TEXT; images identified by avatarFile / domainName.
 *    We keep favorites because clients of the releases we target still use them.
 * Relations whose other side is an object not listed here (dashboard, …) are left out, so every relation below has
 * its inverse on the target object.
 */
import type { FieldType, OnDeleteAction, RelationDirection, SelectOption } from "./field-types.js"
import { manyToOne, morphTarget, oneToMany } from "./standard-relations.js"
import { MESSAGING_INVERSE_FIELDS, MESSAGING_OBJECTS } from "./standard-messaging-objects.js"
import { workflow, workflowAutomatedTrigger, workflowRun, workflowVersion } from "./standard-workflow-objects.js"

// ---------------------------------------------------------------------------------------------
// Object & field descriptions

export interface StandardField {
  /** camelCase, as in Twenty. */
  readonly name: string
  readonly label: string
  readonly type: FieldType
  readonly description?: string
  readonly icon?: string
  /** Default true. */
  readonly isNullable?: boolean
  readonly isSystem?: boolean
  readonly isUIReadOnly?: boolean
  /**
   * Twenty's stored form: strings are SQL literals in single quotes ("'NEW'", "'en'"), "uuid" / "now"
   * are functions, numbers and booleans are plain, composites are objects per subfield
   * (ACTOR: { source: "'MANUAL'", name: "'System'", workspaceMemberId: null }).
   * Undefined means no default (NULL). Current Twenty sets no implicit defaults; older versions
   * defaulted TEXT to "''" and composite text subfields to "''" (e.g. FULL_NAME {firstName: "''", lastName: "''"}).
   */
  readonly defaultValue?: unknown
  /** SELECT / MULTI_SELECT. */
  readonly options?: ReadonlyArray<SelectOption>
  /** As Twenty: NUMBER {dataType}, DATE_TIME {displayFormat}, LINKS/EMAILS/PHONES/FILES {maxNumberOfValues}. */
  readonly settings?: Record<string, unknown>
  readonly isUnique?: boolean
  /**
   * Only for RELATION and MORPH_RELATION. The MANY_TO_ONE side owns the join column `<name>Id`.
   * MORPH_RELATION fields are MANY_TO_ONE; those sharing a morphId form one polymorphic "target";
   * their inverse on the target object is a plain ONE_TO_MANY RELATION.
   */
  readonly relation?: {
    readonly type: RelationDirection
    /** Target object nameSingular. */
    readonly target: string
    /** Field name on the target. */
    readonly inverse: string
    /** MANY_TO_ONE side only. */
    readonly onDelete?: OnDeleteAction
    readonly morphId?: string
  }
}

export interface StandardObject {
  readonly nameSingular: string
  readonly namePlural: string
  readonly labelSingular: string
  readonly labelPlural: string
  readonly description?: string
  readonly icon?: string
  readonly shortcut?: string
  /** e.g. "name" */
  readonly labelIdentifierField: string
  readonly imageIdentifierField?: string
  readonly isSystem?: boolean
  readonly isSearchable?: boolean
  /** Fields (in order) feeding the searchVector column; absent means an empty vector. */
  readonly searchFields?: ReadonlyArray<string>
  /** Column-name groups used to spot duplicates. */
  readonly duplicateCriteria?: ReadonlyArray<ReadonlyArray<string>>
  /** NOT including SYSTEM_FIELDS. */
  readonly fields: ReadonlyArray<StandardField>
}

// ---------------------------------------------------------------------------------------------
// System fields: present on every object (standard and custom) in current Twenty.
// updatedBy is included: Twenty added it in 2025 and it is now a system field everywhere.
// searchVector (TS_VECTOR, generated STORED column with a GIN index) too: built from the object's
// searchFields; non-searchable objects still have the column. Twenty describes position per object
// ("Company record position"); we keep one generic description.

const SYSTEM_ACTOR_DEFAULT = { source: "'MANUAL'", name: "'System'", workspaceMemberId: null } as const

export const SYSTEM_FIELDS: ReadonlyArray<StandardField> = [
  { name: "id", label: "Id", type: "UUID", description: "Id", icon: "Icon123", isNullable: false, isSystem: true, isUIReadOnly: true, defaultValue: "uuid" },
  { name: "createdAt", label: "Creation date", type: "DATE_TIME", description: "Creation date", icon: "IconCalendar", isNullable: false, isSystem: true, isUIReadOnly: true, defaultValue: "now", settings: { displayFormat: "RELATIVE" } },
  { name: "updatedAt", label: "Last update", type: "DATE_TIME", description: "Last time the record was changed", icon: "IconCalendarClock", isNullable: false, isSystem: true, isUIReadOnly: true, defaultValue: "now", settings: { displayFormat: "RELATIVE" } },
  { name: "deletedAt", label: "Deleted at", type: "DATE_TIME", description: "Date when the record was deleted", icon: "IconCalendarMinus", isNullable: true, isSystem: true, isUIReadOnly: true, settings: { displayFormat: "RELATIVE" } },
  { name: "createdBy", label: "Created by", type: "ACTOR", description: "The creator of the record", icon: "IconCreativeCommonsSa", isNullable: false, isSystem: true, isUIReadOnly: true, defaultValue: SYSTEM_ACTOR_DEFAULT },
  { name: "updatedBy", label: "Updated by", type: "ACTOR", description: "The workspace member who last updated the record", icon: "IconUserCircle", isNullable: false, isSystem: true, isUIReadOnly: true, defaultValue: SYSTEM_ACTOR_DEFAULT },
  { name: "position", label: "Position", type: "POSITION", description: "Record position", icon: "IconHierarchy2", isNullable: false, isSystem: true, defaultValue: 0 },
  { name: "searchVector", label: "Search vector", type: "TS_VECTOR", description: "Field used for full-text search", icon: "IconUser", isNullable: true, isSystem: true }
]

// Twenty's morph ids (STANDARD_OBJECTS.<object>.morphIds.targetMorphId)
const ATTACHMENT_TARGET = "20202020-f634-435d-ab8d-e1168b375c69"
const NOTE_TARGET_TARGET = "20202020-f635-435d-ab8d-e1168b375c70"
const TASK_TARGET_TARGET = "20202020-f636-435d-ab8d-e1168b375c71"
const TIMELINE_TARGET = "20202020-9a2b-4c3d-a4e5-f6a7b8c9d0e1"

// ---------------------------------------------------------------------------------------------
// Standard objects

const company: StandardObject = {
  nameSingular: "company",
  namePlural: "companies",
  labelSingular: "Company",
  labelPlural: "Companies",
  description: "A company",
  icon: "IconBuildingSkyscraper",
  shortcut: "C",
  labelIdentifierField: "name",
  // the UI derives the logo from domainName; the newest branch declares it as image identifier
  imageIdentifierField: "domainName",
  isSearchable: true,
  searchFields: ["name", "domainName"],
  duplicateCriteria: [["name"], ["domainNamePrimaryLinkUrl"]],
  fields: [
    { name: "name", label: "Name", type: "TEXT", description: "The company name", icon: "IconBuildingSkyscraper" },
    { name: "domainName", label: "Domain Name", type: "LINKS", description: "The company website URL. We use this url to fetch the company icon", icon: "IconLink", isUnique: true, settings: { maxNumberOfValues: 1 } },
    { name: "address", label: "Address", type: "ADDRESS", description: "Address of the company", icon: "IconMap" },
    { name: "employees", label: "Employees", type: "NUMBER", description: "Number of employees in the company", icon: "IconUsers" },
    { name: "linkedinLink", label: "Linkedin", type: "LINKS", description: "The company Linkedin account", icon: "IconBrandLinkedin" },
    { name: "xLink", label: "X", type: "LINKS", description: "The company Twitter/X account", icon: "IconBrandX" },
    { name: "annualRecurringRevenue", label: "ARR", type: "CURRENCY", description: "Annual Recurring Revenue: The actual or estimated annual revenue of the company", icon: "IconMoneybag" },
    { name: "idealCustomerProfile", label: "ICP", type: "BOOLEAN", description: "Ideal Customer Profile: Indicates whether the company is the most suitable and valuable customer for you", icon: "IconTarget", isNullable: false, defaultValue: false },
    oneToMany("people", "People", "person", "company", { description: "People linked to the company.", icon: "IconUsers" }),
    manyToOne("accountOwner", "Account Owner", "workspaceMember", "accountOwnerForCompanies", "SET_NULL", { description: "Your team member responsible for managing the company account", icon: "IconUserCircle" }),
    oneToMany("taskTargets", "Tasks", "taskTarget", "targetCompany", { description: "Tasks tied to the company", icon: "IconCheckbox", isUIReadOnly: true }),
    oneToMany("noteTargets", "Notes", "noteTarget", "targetCompany", { description: "Notes tied to the company", icon: "IconNotes", isUIReadOnly: true }),
    oneToMany("opportunities", "Opportunities", "opportunity", "company", { description: "Opportunities linked to the company.", icon: "IconTargetArrow" }),
    oneToMany("favorites", "Favorites", "favorite", "company", { description: "Favorites linked to the company", icon: "IconHeart" }),
    oneToMany("attachments", "Attachments", "attachment", "targetCompany", { description: "Attachments linked to the company", icon: "IconFileImport" }),
    oneToMany("timelineActivities", "Timeline Activities", "timelineActivity", "targetCompany", { description: "Timeline Activities linked to the company", icon: "IconIconTimelineEvent" })
  ]
}

const person: StandardObject = {
  nameSingular: "person",
  namePlural: "people",
  labelSingular: "Person",
  labelPlural: "People",
  description: "A person",
  icon: "IconUser",
  shortcut: "P",
  labelIdentifierField: "name",
  imageIdentifierField: "avatarUrl", // newest: avatarFile
  isSearchable: true,
  searchFields: ["name", "emails", "phones", "jobTitle"],
  duplicateCriteria: [["nameFirstName", "nameLastName"], ["linkedinLinkPrimaryLinkUrl"], ["emailsPrimaryEmail"]],
  fields: [
    { name: "name", label: "Name", type: "FULL_NAME", description: "Contact's name", icon: "IconUser" },
    { name: "emails", label: "Emails", type: "EMAILS", description: "Contact's Emails", icon: "IconMail", isUnique: true, settings: { maxNumberOfValues: 1 } },
    { name: "linkedinLink", label: "Linkedin", type: "LINKS", description: "Contact's Linkedin account", icon: "IconBrandLinkedin" },
    { name: "xLink", label: "X", type: "LINKS", description: "Contact's X/Twitter account", icon: "IconBrandX" },
    { name: "jobTitle", label: "Job Title", type: "TEXT", description: "Contact's job title", icon: "IconBriefcase" },
    { name: "phones", label: "Phones", type: "PHONES", description: "Contact's phone numbers", icon: "IconPhone", settings: { maxNumberOfValues: 1 } },
    { name: "city", label: "City", type: "TEXT", description: "Contact's city", icon: "IconMap" },
    { name: "avatarUrl", label: "Avatar", type: "TEXT", description: "Contact's avatar", icon: "IconFileUpload", isSystem: true }, // deprecated
    { name: "avatarFile", label: "Avatar File", type: "FILES", description: "Contact's avatar file", icon: "IconFileUpload", isSystem: true, settings: { maxNumberOfValues: 1 } },
    manyToOne("company", "Company", "company", "people", "SET_NULL", { description: "Contact's company", icon: "IconBuildingSkyscraper" }),
    oneToMany("pointOfContactForOpportunities", "Opportunities", "opportunity", "pointOfContact", { description: "List of opportunities for which that person is the point of contact", icon: "IconTargetArrow" }),
    oneToMany("taskTargets", "Tasks", "taskTarget", "targetPerson", { description: "Tasks tied to the contact", icon: "IconCheckbox", isUIReadOnly: true }),
    oneToMany("noteTargets", "Notes", "noteTarget", "targetPerson", { description: "Notes tied to the contact", icon: "IconNotes", isUIReadOnly: true }),
    oneToMany("favorites", "Favorites", "favorite", "person", { description: "Favorites linked to the contact", icon: "IconHeart" }),
    oneToMany("attachments", "Attachments", "attachment", "targetPerson", { description: "Attachments linked to the contact.", icon: "IconFileImport" }),
    oneToMany("timelineActivities", "Events", "timelineActivity", "targetPerson", { description: "Events linked to the person", icon: "IconTimelineEvent" }),
    ...MESSAGING_INVERSE_FIELDS.person!
  ]
}

const opportunity: StandardObject = {
  nameSingular: "opportunity",
  namePlural: "opportunities",
  labelSingular: "Opportunity",
  labelPlural: "Opportunities",
  description: "An opportunity",
  icon: "IconTargetArrow",
  shortcut: "O",
  labelIdentifierField: "name",
  isSearchable: true,
  searchFields: ["name"],
  fields: [
    { name: "name", label: "Name", type: "TEXT", description: "The opportunity name", icon: "IconTargetArrow" },
    { name: "amount", label: "Amount", type: "CURRENCY", description: "Opportunity amount", icon: "IconCurrencyDollar" },
    { name: "closeDate", label: "Close date", type: "DATE_TIME", description: "Opportunity close date", icon: "IconCalendarEvent" },
    {
      name: "stage",
      label: "Stage",
      type: "SELECT",
      description: "Opportunity stage",
      icon: "IconProgressCheck",
      isNullable: false,
      defaultValue: "'NEW'",
      options: [
        { value: "NEW", label: "New", color: "red", position: 0 },
        { value: "SCREENING", label: "Screening", color: "purple", position: 1 },
        { value: "MEETING", label: "Meeting", color: "sky", position: 2 },
        { value: "PROPOSAL", label: "Proposal", color: "turquoise", position: 3 },
        { value: "CUSTOMER", label: "Customer", color: "yellow", position: 4 }
      ]
    },
    manyToOne("pointOfContact", "Point of Contact", "person", "pointOfContactForOpportunities", "SET_NULL", { description: "Opportunity point of contact", icon: "IconUser" }),
    manyToOne("company", "Company", "company", "opportunities", "SET_NULL", { description: "Opportunity company", icon: "IconBuildingSkyscraper" }),
    manyToOne("owner", "Owner", "workspaceMember", "ownedOpportunities", "SET_NULL", { description: "Opportunity owner", icon: "IconUserCircle" }),
    oneToMany("favorites", "Favorites", "favorite", "opportunity", { description: "Favorites linked to the opportunity", icon: "IconHeart" }),
    oneToMany("taskTargets", "Tasks", "taskTarget", "targetOpportunity", { description: "Tasks tied to the opportunity", icon: "IconCheckbox", isUIReadOnly: true }),
    oneToMany("noteTargets", "Notes", "noteTarget", "targetOpportunity", { description: "Notes tied to the opportunity", icon: "IconNotes", isUIReadOnly: true }),
    oneToMany("attachments", "Attachments", "attachment", "targetOpportunity", { description: "Attachments linked to the opportunity", icon: "IconFileImport" }),
    oneToMany("timelineActivities", "Timeline Activities", "timelineActivity", "targetOpportunity", { description: "Timeline Activities linked to the opportunity.", icon: "IconTimelineEvent" })
  ]
}

const note: StandardObject = {
  nameSingular: "note",
  namePlural: "notes",
  labelSingular: "Note",
  labelPlural: "Notes",
  description: "A note",
  icon: "IconNotes",
  shortcut: "N",
  labelIdentifierField: "title",
  isSearchable: true,
  searchFields: ["title", "bodyV2"],
  fields: [
    { name: "title", label: "Title", type: "TEXT", description: "Note title", icon: "IconNotes" },
    { name: "bodyV2", label: "Body", type: "RICH_TEXT_V2", description: "Note body", icon: "IconFilePencil" },
    oneToMany("noteTargets", "Relations", "noteTarget", "note", { description: "Note targets", icon: "IconArrowUpRight", isSystem: true }),
    oneToMany("attachments", "Attachments", "attachment", "targetNote", { description: "Note attachments", icon: "IconFileImport", isSystem: true }),
    oneToMany("timelineActivities", "Timeline Activities", "timelineActivity", "targetNote", { description: "Timeline Activities linked to the note.", icon: "IconTimelineEvent", isSystem: true }),
    oneToMany("favorites", "Favorites", "favorite", "note", { description: "Favorites linked to the note", icon: "IconHeart", isSystem: true })
  ]
}

const noteTarget: StandardObject = {
  nameSingular: "noteTarget",
  namePlural: "noteTargets",
  labelSingular: "Note Target",
  labelPlural: "Note Targets",
  description: "A note target",
  icon: "IconCheckbox",
  labelIdentifierField: "id",
  isSystem: true,
  fields: [
    manyToOne("note", "Note", "note", "noteTargets", "CASCADE", { description: "NoteTarget note", icon: "IconNotes", isUIReadOnly: true }),
    morphTarget(NOTE_TARGET_TARGET, "targetPerson", "Person", "person", "noteTargets", "CASCADE", { description: "NoteTarget person", icon: "IconUser" }),
    morphTarget(NOTE_TARGET_TARGET, "targetCompany", "Company", "company", "noteTargets", "CASCADE", { description: "NoteTarget company", icon: "IconBuildingSkyscraper" }),
    morphTarget(NOTE_TARGET_TARGET, "targetOpportunity", "Opportunity", "opportunity", "noteTargets", "CASCADE", { description: "NoteTarget opportunity", icon: "IconTargetArrow" })
  ]
}

const task: StandardObject = {
  nameSingular: "task",
  namePlural: "tasks",
  labelSingular: "Task",
  labelPlural: "Tasks",
  description: "A task",
  icon: "IconCheckbox",
  shortcut: "T",
  labelIdentifierField: "title",
  isSearchable: true,
  searchFields: ["title", "bodyV2"],
  fields: [
    { name: "title", label: "Title", type: "TEXT", description: "Task title", icon: "IconNotes" },
    { name: "bodyV2", label: "Body", type: "RICH_TEXT_V2", description: "Task body", icon: "IconFilePencil" },
    { name: "dueAt", label: "Due Date", type: "DATE_TIME", description: "Task due date", icon: "IconCalendarEvent" },
    {
      name: "status",
      label: "Status",
      type: "SELECT",
      description: "Task status",
      icon: "IconCheck",
      defaultValue: "'TODO'",
      options: [
        { value: "TODO", label: "To do", color: "sky", position: 0 },
        { value: "IN_PROGRESS", label: "In progress", color: "purple", position: 1 },
        { value: "DONE", label: "Done", color: "green", position: 2 }
      ]
    },
    oneToMany("taskTargets", "Relations", "taskTarget", "task", { description: "Task targets", icon: "IconArrowUpRight", isSystem: true }),
    oneToMany("attachments", "Attachments", "attachment", "targetTask", { description: "Task attachments", icon: "IconFileImport", isSystem: true }),
    manyToOne("assignee", "Assignee", "workspaceMember", "assignedTasks", "SET_NULL", { description: "Task assignee", icon: "IconUserCircle" }),
    oneToMany("timelineActivities", "Timeline Activities", "timelineActivity", "targetTask", { description: "Timeline Activities linked to the task.", icon: "IconTimelineEvent", isSystem: true }),
    oneToMany("favorites", "Favorites", "favorite", "task", { description: "Favorites linked to the task", icon: "IconHeart", isSystem: true })
  ]
}

const taskTarget: StandardObject = {
  nameSingular: "taskTarget",
  namePlural: "taskTargets",
  labelSingular: "Task Target",
  labelPlural: "Task Targets",
  description: "A task target",
  icon: "IconCheckbox",
  labelIdentifierField: "id",
  isSystem: true,
  fields: [
    manyToOne("task", "Task", "task", "taskTargets", "CASCADE", { description: "TaskTarget task", icon: "IconCheckbox", isUIReadOnly: true }),
    morphTarget(TASK_TARGET_TARGET, "targetPerson", "Target", "person", "taskTargets", "CASCADE", { description: "TaskTarget target", icon: "IconArrowUpRight" }),
    morphTarget(TASK_TARGET_TARGET, "targetCompany", "Target", "company", "taskTargets", "CASCADE", { description: "TaskTarget target", icon: "IconArrowUpRight" }),
    morphTarget(TASK_TARGET_TARGET, "targetOpportunity", "Target", "opportunity", "taskTargets", "CASCADE", { description: "TaskTarget target", icon: "IconArrowUpRight" })
  ]
}

const attachment: StandardObject = {
  nameSingular: "attachment",
  namePlural: "attachments",
  labelSingular: "Attachment",
  labelPlural: "Attachments",
  description: "An attachment",
  icon: "IconFileImport",
  labelIdentifierField: "name",
  isSystem: true,
  searchFields: ["name"],
  fields: [
    { name: "name", label: "Name", type: "TEXT", description: "Attachment name", icon: "IconFileUpload", isUIReadOnly: true },
    { name: "file", label: "File", type: "FILES", description: "Attachment file", icon: "IconFileUpload", isUIReadOnly: true, settings: { maxNumberOfValues: 1 } },
    // deprecated in favour of `file`, still served
    { name: "fullPath", label: "Full path", type: "TEXT", description: "Attachment full path", icon: "IconLink", isSystem: true, isUIReadOnly: true },
    {
      name: "fileCategory",
      label: "File category",
      type: "SELECT",
      description: "Attachment file category",
      icon: "IconList",
      isNullable: false,
      isSystem: true,
      isUIReadOnly: true,
      defaultValue: "'OTHER'",
      options: [
        { value: "ARCHIVE", label: "Archive", color: "gray", position: 0 },
        { value: "AUDIO", label: "Audio", color: "pink", position: 1 },
        { value: "IMAGE", label: "Image", color: "yellow", position: 2 },
        { value: "PRESENTATION", label: "Presentation", color: "orange", position: 3 },
        { value: "SPREADSHEET", label: "Spreadsheet", color: "turquoise", position: 4 },
        { value: "TEXT_DOCUMENT", label: "Text Document", color: "blue", position: 5 },
        { value: "VIDEO", label: "Video", color: "purple", position: 6 },
        { value: "OTHER", label: "Other", color: "gray", position: 7 }
      ]
    },
    morphTarget(ATTACHMENT_TARGET, "targetTask", "Target", "task", "attachments", "SET_NULL", { description: "Attachment target", icon: "IconArrowUpRight" }),
    morphTarget(ATTACHMENT_TARGET, "targetNote", "Target", "note", "attachments", "SET_NULL", { description: "Attachment target", icon: "IconArrowUpRight" }),
    morphTarget(ATTACHMENT_TARGET, "targetPerson", "Target", "person", "attachments", "CASCADE", { description: "Attachment target", icon: "IconArrowUpRight" }),
    morphTarget(ATTACHMENT_TARGET, "targetCompany", "Target", "company", "attachments", "CASCADE", { description: "Attachment target", icon: "IconArrowUpRight" }),
    morphTarget(ATTACHMENT_TARGET, "targetOpportunity", "Target", "opportunity", "attachments", "CASCADE", { description: "Attachment target", icon: "IconArrowUpRight" })
  ]
}

const timelineActivity: StandardObject = {
  nameSingular: "timelineActivity",
  namePlural: "timelineActivities",
  labelSingular: "Timeline Activity",
  labelPlural: "Timeline Activities",
  description: "Aggregated / filtered event to be displayed on the timeline",
  icon: "IconTimelineEvent",
  labelIdentifierField: "name", // newest: linkedRecordCachedName
  isSystem: true,
  fields: [
    { name: "happensAt", label: "Creation date", type: "DATE_TIME", description: "Creation date", icon: "IconCalendar", isNullable: false, isUIReadOnly: true, defaultValue: "now" },
    { name: "name", label: "Event name", type: "TEXT", description: "Event name", icon: "IconAbc", isUIReadOnly: true },
    { name: "properties", label: "Event details", type: "RAW_JSON", description: "Json value for event details", icon: "IconListDetails", isUIReadOnly: true },
    { name: "linkedRecordCachedName", label: "Linked Record cached name", type: "TEXT", description: "Cached record name", icon: "IconAbc", isSystem: true, isUIReadOnly: true },
    { name: "linkedRecordId", label: "Linked Record id", type: "UUID", description: "Linked Record id", icon: "IconAbc", isSystem: true, isUIReadOnly: true },
    { name: "linkedObjectMetadataId", label: "Linked Object Metadata Id", type: "UUID", description: "Linked Object Metadata Id", icon: "IconAbc", isSystem: true, isUIReadOnly: true },
    manyToOne("workspaceMember", "Workspace Member", "workspaceMember", "timelineActivities", "CASCADE", { description: "Event workspace member", icon: "IconCircleUser", isUIReadOnly: true }),
    morphTarget(TIMELINE_TARGET, "targetPerson", "Person", "person", "timelineActivities", "CASCADE", { description: "Event target", icon: "IconTimelineEvent" }),
    morphTarget(TIMELINE_TARGET, "targetCompany", "Company", "company", "timelineActivities", "CASCADE", { description: "Event target", icon: "IconTimelineEvent" }),
    morphTarget(TIMELINE_TARGET, "targetOpportunity", "Opportunity", "opportunity", "timelineActivities", "SET_NULL", { description: "Event target", icon: "IconTimelineEvent" }),
    morphTarget(TIMELINE_TARGET, "targetNote", "Note", "note", "timelineActivities", "SET_NULL", { description: "Event target", icon: "IconTimelineEvent" }),
    morphTarget(TIMELINE_TARGET, "targetTask", "Task", "task", "timelineActivities", "SET_NULL", { description: "Event target", icon: "IconTimelineEvent" })
  ]
}

const workspaceMember: StandardObject = {
  nameSingular: "workspaceMember",
  namePlural: "workspaceMembers",
  labelSingular: "Workspace Member",
  labelPlural: "Workspace Members",
  description: "A workspace member",
  icon: "IconUserCircle",
  labelIdentifierField: "name",
  imageIdentifierField: "avatarUrl",
  isSystem: true,
  isSearchable: true,
  searchFields: ["name", "userEmail"],
  fields: [
    { name: "name", label: "Name", type: "FULL_NAME", description: "Workspace member name", icon: "IconCircleUser", isNullable: false, isUIReadOnly: true },
    { name: "colorScheme", label: "Color Scheme", type: "TEXT", description: "Preferred color scheme", icon: "IconColorSwatch", isNullable: false, isSystem: true, isUIReadOnly: true, defaultValue: "'System'" }, // 'System' | 'Light' | 'Dark'
    { name: "locale", label: "Language", type: "TEXT", description: "Preferred language", icon: "IconLanguage", isNullable: false, isSystem: true, isUIReadOnly: true, defaultValue: "'en'" },
    { name: "avatarUrl", label: "Avatar Url", type: "TEXT", description: "Workspace member avatar", icon: "IconFileUpload", isSystem: true, isUIReadOnly: true },
    { name: "userEmail", label: "User Email", type: "TEXT", description: "Related user email address", icon: "IconMail", isSystem: true, isUIReadOnly: true, isUnique: true },
    { name: "calendarStartDay", label: "Start of the week", type: "NUMBER", description: "User's preferred start day of the week", icon: "IconCalendar", isNullable: false, isSystem: true, isUIReadOnly: true, defaultValue: 7, settings: { dataType: "int" } },
    { name: "userId", label: "User Id", type: "UUID", description: "Associated User Id", icon: "IconCircleUsers", isNullable: false, isSystem: true, isUIReadOnly: true },
    { name: "timeZone", label: "Time zone", type: "TEXT", description: "User time zone", icon: "IconTimezone", isNullable: false, isSystem: true, isUIReadOnly: true, defaultValue: "'system'" },
    {
      name: "dateFormat",
      label: "Date format",
      type: "SELECT",
      description: "User's preferred date format",
      icon: "IconCalendarEvent",
      isNullable: false,
      isSystem: true,
      isUIReadOnly: true,
      defaultValue: "'SYSTEM'",
      options: [
        { value: "SYSTEM", label: "System", color: "turquoise", position: 0 },
        { value: "MONTH_FIRST", label: "Month First", color: "red", position: 1 },
        { value: "DAY_FIRST", label: "Day First", color: "purple", position: 2 },
        { value: "YEAR_FIRST", label: "Year First", color: "sky", position: 3 }
      ]
    },
    {
      name: "timeFormat",
      label: "Time format",
      type: "SELECT",
      description: "User's preferred time format",
      icon: "IconClock2",
      isNullable: false,
      isSystem: true,
      isUIReadOnly: true,
      defaultValue: "'SYSTEM'",
      options: [
        { value: "SYSTEM", label: "System", color: "sky", position: 0 },
        { value: "HOUR_24", label: "24HRS", color: "red", position: 1 },
        { value: "HOUR_12", label: "12HRS", color: "purple", position: 2 }
      ]
    },
    {
      name: "numberFormat",
      label: "Number format",
      type: "SELECT",
      description: "User's preferred number format",
      icon: "IconNumbers",
      isNullable: false,
      isSystem: true,
      isUIReadOnly: true,
      defaultValue: "'SYSTEM'",
      options: [
        { value: "SYSTEM", label: "System", color: "turquoise", position: 0 },
        { value: "COMMAS_AND_DOT", label: "Commas and dot", color: "blue", position: 1 },
        { value: "SPACES_AND_COMMA", label: "Spaces and comma", color: "green", position: 2 },
        { value: "DOTS_AND_COMMA", label: "Dots and comma", color: "orange", position: 3 },
        { value: "APOSTROPHE_AND_DOT", label: "Apostrophe and dot", color: "purple", position: 4 }
      ]
    },
    oneToMany("assignedTasks", "Assigned tasks", "task", "assignee", { description: "Tasks assigned to the workspace member", icon: "IconCheckbox", isNullable: false, isUIReadOnly: true }),
    oneToMany("favorites", "Favorites", "favorite", "forWorkspaceMember", { description: "Favorites linked to the workspace member", icon: "IconHeart", isNullable: false, isUIReadOnly: true }),
    oneToMany("accountOwnerForCompanies", "Account Owner For Companies", "company", "accountOwner", { description: "Account owner for companies", icon: "IconBriefcase", isNullable: false, isUIReadOnly: true }),
    oneToMany("timelineActivities", "Events", "timelineActivity", "workspaceMember", { description: "Events linked to the workspace member", icon: "IconTimelineEvent", isUIReadOnly: true }),
    oneToMany("ownedOpportunities", "Owned opportunities", "opportunity", "owner", { description: "Opportunities owned by the workspace member", icon: "IconTargetArrow", isNullable: false, isUIReadOnly: true }),
    ...MESSAGING_INVERSE_FIELDS.workspaceMember!
  ]
}

const favorite: StandardObject = {
  nameSingular: "favorite",
  namePlural: "favorites",
  labelSingular: "Favorite",
  labelPlural: "Favorites",
  description: "A favorite",
  icon: "IconHeart",
  labelIdentifierField: "id",
  isSystem: true,
  fields: [
    { name: "viewId", label: "ViewId", type: "UUID", description: "ViewId", icon: "IconView", isUIReadOnly: true },
    manyToOne("forWorkspaceMember", "Workspace Member", "workspaceMember", "favorites", "CASCADE", { description: "Favorite workspace member", icon: "IconCircleUser", isUIReadOnly: true }),
    manyToOne("person", "Person", "person", "favorites", "CASCADE", { description: "Favorite person", icon: "IconUser", isUIReadOnly: true }),
    manyToOne("company", "Company", "company", "favorites", "CASCADE", { description: "Favorite company", icon: "IconBuildingSkyscraper", isUIReadOnly: true }),
    manyToOne("opportunity", "Opportunity", "opportunity", "favorites", "CASCADE", { description: "Favorite opportunity", icon: "IconTargetArrow", isUIReadOnly: true }),
    manyToOne("task", "Task", "task", "favorites", "CASCADE", { description: "Favorite task", icon: "IconCheckbox", isUIReadOnly: true }),
    manyToOne("note", "Note", "note", "favorites", "CASCADE", { description: "Favorite note", icon: "IconNotes", isUIReadOnly: true }),
    manyToOne("favoriteFolder", "Favorite Folder", "favoriteFolder", "favorites", "SET_NULL", { description: "The folder this favorite belongs to", icon: "IconFolder", isUIReadOnly: true })
  ]
}

const favoriteFolder: StandardObject = {
  nameSingular: "favoriteFolder",
  namePlural: "favoriteFolders",
  labelSingular: "Favorite Folder",
  labelPlural: "Favorite Folders",
  description: "A favorite folder",
  icon: "IconFolder",
  labelIdentifierField: "id", // sic: Twenty uses id, not name
  isSystem: true,
  searchFields: ["name"],
  fields: [
    { name: "name", label: "Name", type: "TEXT", description: "Name of the favorite folder", icon: "IconText", isUIReadOnly: true },
    oneToMany("favorites", "Favorites", "favorite", "favoriteFolder", { description: "Favorites in this folder", icon: "IconHeart", isNullable: false, isUIReadOnly: true })
  ]
}

export const STANDARD_OBJECTS: ReadonlyArray<StandardObject> = [
  company,
  person,
  opportunity,
  note,
  noteTarget,
  task,
  taskTarget,
  attachment,
  timelineActivity,
  workspaceMember,
  favorite,
  favoriteFolder,
  workflow,
  workflowVersion,
  workflowRun,
  workflowAutomatedTrigger,
  ...MESSAGING_OBJECTS
]
