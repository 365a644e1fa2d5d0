/**
 * Twenty's messaging and calendar objects (connectedAccount, messageChannel, messageFolder, messageThread,
 * message, messageParticipant, messageChannelMessageAssociation, calendarChannel, calendarEvent,
 * calendarEventParticipant, calendarChannelEventAssociation, blocklist) as plain data. Source: Twenty's
 * modules/{connected-account,messaging,calendar,blocklist}/**\/*.workspace-entity.ts and the standard
 * application's field builders (the IMAP cursor fields highestUid / uidValidity / modSeq on the channel).
 * All are system objects, as in Twenty. Their inverse relations live on person, workspaceMember and
 * company (standard-objects.ts) and are listed in MESSAGING_INVERSE_FIELDS for the migration.
 */
import type { SelectOption } from "./field-types.js"
import type { StandardField, StandardObject } from "./standard-objects.js"
import { manyToOne, oneToMany } from "./standard-relations.js"

const options = (colors: ReadonlyArray<readonly [string, string, string]>): ReadonlyArray<SelectOption> =>
  colors.map(([value, label, color], position) => ({ value, label, color, position }))

const readOnly = { isUIReadOnly: true } as const

const text = (name: string, label: string, icon: string, extra: Partial<StandardField> = {}): StandardField => ({
  name, label, type: "TEXT", description: label, icon, ...readOnly, ...extra
})
const date = (name: string, label: string, icon = "IconHistory"): StandardField => ({
  name, label, type: "DATE_TIME", description: label, icon, ...readOnly
})
const bool = (name: string, label: string, icon: string, defaultValue: boolean): StandardField => ({
  name, label, type: "BOOLEAN", description: label, icon, isNullable: false, defaultValue, ...readOnly
})
const select = (
  name: string, label: string, icon: string, values: ReadonlyArray<readonly [string, string, string]>,
  defaultValue?: string
): StandardField => ({
  name, label, type: "SELECT", description: label, icon, ...readOnly, options: options(values),
  ...(defaultValue === undefined ? {} : { isNullable: false, defaultValue: `'${defaultValue}'` })
})

const system = (
  nameSingular: string, namePlural: string, labelSingular: string, labelPlural: string, icon: string,
  labelIdentifierField: string, fields: ReadonlyArray<StandardField>
): StandardObject => ({
  nameSingular, namePlural, labelSingular, labelPlural, description: labelSingular, icon, labelIdentifierField,
  isSystem: true, fields
})

export const SYNC_STATUSES = [
  ["ONGOING", "Ongoing", "yellow"], ["NOT_SYNCED", "Not Synced", "blue"], ["ACTIVE", "Active", "green"],
  ["FAILED_INSUFFICIENT_PERMISSIONS", "Failed Insufficient Permissions", "red"], ["FAILED_UNKNOWN", "Failed Unknown", "red"]
] as const

const connectedAccount = system("connectedAccount", "connectedAccounts", "Connected Account", "Connected Accounts", "IconAt", "handle", [
  text("handle", "handle", "IconMail"),
  text("provider", "provider", "IconAt"),
  text("accessToken", "Access Token", "IconKey"),
  text("refreshToken", "Refresh Token", "IconKey"),
  date("lastCredentialsRefreshedAt", "Last credentials refreshed at"),
  text("lastSyncHistoryId", "Last sync history ID", "IconHistory"),
  date("authFailedAt", "Auth failed at", "IconX"),
  text("handleAliases", "Handle Aliases", "IconMail"),
  { name: "scopes", label: "Scopes", type: "ARRAY", description: "Scopes", icon: "IconSettings", ...readOnly },
  { name: "connectionParameters", label: "Custom Connection Parameters", type: "RAW_JSON", description: "JSON object containing custom connection parameters", icon: "IconSettings", ...readOnly },
  manyToOne("accountOwner", "Account Owner", "workspaceMember", "connectedAccounts", "CASCADE", { description: "Account Owner", icon: "IconUserCircle", isNullable: false, ...readOnly }),
  oneToMany("messageChannels", "Message Channels", "messageChannel", "connectedAccount", { description: "Message Channels", icon: "IconMessage", ...readOnly }),
  oneToMany("calendarChannels", "Calendar Channels", "calendarChannel", "connectedAccount", { description: "Calendar Channels", icon: "IconCalendar", ...readOnly })
])

const messageChannel = system("messageChannel", "messageChannels", "Message Channel", "Message Channels", "IconMessage", "handle", [
  select("visibility", "Visibility", "IconEyeglass", [["METADATA", "Metadata", "green"], ["SUBJECT", "Subject", "blue"], ["SHARE_EVERYTHING", "Share Everything", "orange"]], "SHARE_EVERYTHING"),
  text("handle", "Handle", "IconAt"),
  select("type", "Type", "IconMessage", [["EMAIL", "Email", "green"], ["SMS", "SMS", "blue"]], "EMAIL"),
  bool("isContactAutoCreationEnabled", "Is Contact Auto Creation Enabled", "IconUserCircle", true),
  select("contactAutoCreationPolicy", "Contact auto creation policy", "IconUserCircle", [["SENT_AND_RECEIVED", "Sent and Received", "green"], ["SENT", "Sent", "blue"], ["NONE", "None", "red"]], "SENT"),
  select("messageFolderImportPolicy", "Message folder import policy", "IconFolder", [["ALL_FOLDERS", "All folders", "green"], ["SELECTED_FOLDERS", "Selected folders", "blue"]], "ALL_FOLDERS"),
  bool("excludeNonProfessionalEmails", "Exclude non professional emails", "IconBriefcase", true),
  bool("excludeGroupEmails", "Exclude group emails", "IconUsersGroup", true),
  select("pendingGroupEmailsAction", "Pending group emails action", "IconUsersGroup", [["GROUP_EMAILS_DELETION", "Group emails deletion", "red"], ["GROUP_EMAILS_IMPORT", "Group emails import", "green"], ["NONE", "None", "blue"]], "NONE"),
  bool("isSyncEnabled", "Is Sync Enabled", "IconRefresh", true),
  text("syncCursor", "Last sync cursor", "IconHistory"),
  date("syncedAt", "Last sync date"),
  select("syncStatus", "Sync status", "IconStatusChange", SYNC_STATUSES),
  select("syncStage", "Sync stage", "IconStatusChange", [
    ["MESSAGE_LIST_FETCH_PENDING", "Messages list fetch pending", "blue"], ["MESSAGE_LIST_FETCH_SCHEDULED", "Messages list fetch scheduled", "green"],
    ["MESSAGE_LIST_FETCH_ONGOING", "Messages list fetch ongoing", "orange"], ["MESSAGES_IMPORT_PENDING", "Messages import pending", "blue"],
    ["MESSAGES_IMPORT_SCHEDULED", "Messages import scheduled", "green"], ["MESSAGES_IMPORT_ONGOING", "Messages import ongoing", "orange"],
    ["FAILED", "Failed", "red"], ["PENDING_CONFIGURATION", "Pending configuration", "gray"]
  ], "PENDING_CONFIGURATION"),
  date("syncStageStartedAt", "Sync stage started at"),
  { name: "throttleFailureCount", label: "Throttle Failure Count", type: "NUMBER", description: "Throttle Failure Count", icon: "IconX", isNullable: false, defaultValue: 0, ...readOnly },
  date("throttleRetryAfter", "Throttle Retry After", "IconClock"),
  manyToOne("connectedAccount", "Connected Account", "connectedAccount", "messageChannels", "CASCADE", { description: "Connected Account", icon: "IconUserCircle", isNullable: false, ...readOnly }),
  oneToMany("messageChannelMessageAssociations", "Message Channel Association", "messageChannelMessageAssociation", "messageChannel", { description: "Messages from the channel.", icon: "IconMessage", ...readOnly }),
  oneToMany("messageFolders", "Message Folders", "messageFolder", "messageChannel", { description: "Message Folders", icon: "IconFolder", ...readOnly })
])

const messageFolder = system("messageFolder", "messageFolders", "Message Folder", "Message Folders", "IconFolder", "name", [
  text("name", "Name", "IconFolder"),
  text("syncCursor", "Sync Cursor", "IconHash"),
  bool("isSentFolder", "Is Sent Folder", "IconSend", false),
  bool("isSynced", "Is Synced", "IconCheck", false),
  text("parentFolderId", "Parent Folder ID", "IconFolder"),
  text("externalId", "External ID", "IconHash"),
  select("pendingSyncAction", "Pending sync action", "IconReload", [["FOLDER_DELETION", "Folder deletion", "red"], ["NONE", "None", "blue"]], "NONE"),
  manyToOne("messageChannel", "Message Channel", "messageChannel", "messageFolders", "CASCADE", { description: "Message Channel", icon: "IconMessage", isNullable: false, ...readOnly })
])

const messageThread = system("messageThread", "messageThreads", "Message Thread", "Message Threads", "IconMessage", "id", [
  oneToMany("messages", "Messages", "message", "messageThread", { description: "Messages from the thread.", icon: "IconMessage", ...readOnly })
])

const message = system("message", "messages", "Message", "Messages", "IconMessage", "subject", [
  text("headerMessageId", "Header message Id", "IconHash", { description: "Message id from the message header" }),
  text("subject", "Subject", "IconMessage"),
  text("text", "Text", "IconMessage", { description: "Text" }),
  date("receivedAt", "Received At", "IconCalendar"),
  manyToOne("messageThread", "Message Thread Id", "messageThread", "messages", "CASCADE", { description: "Message Thread Id", icon: "IconHash", ...readOnly }),
  oneToMany("messageParticipants", "Message Participants", "messageParticipant", "message", { description: "Message Participants", icon: "IconUserCircle", ...readOnly }),
  oneToMany("messageChannelMessageAssociations", "Message Channel Association", "messageChannelMessageAssociation", "message", { description: "Messages from the channel.", icon: "IconMessage", ...readOnly })
])

const messageParticipant = system("messageParticipant", "messageParticipants", "Message Participant", "Message Participants", "IconUserCircle", "handle", [
  select("role", "Role", "IconAt", [["FROM", "From", "green"], ["TO", "To", "blue"], ["CC", "Cc", "orange"], ["BCC", "Bcc", "red"]], "FROM"),
  text("handle", "Handle", "IconAt"),
  text("displayName", "Display Name", "IconUser"),
  manyToOne("message", "Message", "message", "messageParticipants", "CASCADE", { description: "Message", icon: "IconMessage", isNullable: false, ...readOnly }),
  manyToOne("person", "Person", "person", "messageParticipants", "SET_NULL", { description: "Person", icon: "IconUser", ...readOnly }),
  manyToOne("workspaceMember", "Workspace Member", "workspaceMember", "messageParticipants", "SET_NULL", { description: "Workspace member", icon: "IconCircleUser", ...readOnly })
])

const messageChannelMessageAssociation = system("messageChannelMessageAssociation", "messageChannelMessageAssociations", "Message Channel Message Association", "Message Channel Message Associations", "IconMessage", "id", [
  text("messageExternalId", "Message External Id", "IconHash", { description: "Message id from the messaging provider" }),
  text("messageThreadExternalId", "Thread External Id", "IconHash", { description: "Thread id from the messaging provider" }),
  select("direction", "Direction", "IconDirection", [["INCOMING", "Incoming", "green"], ["OUTGOING", "Outgoing", "blue"]], "INCOMING"),
  manyToOne("messageChannel", "Message Channel Id", "messageChannel", "messageChannelMessageAssociations", "CASCADE", { description: "Message Channel Id", icon: "IconHash", isNullable: false, ...readOnly }),
  manyToOne("message", "Message Id", "message", "messageChannelMessageAssociations", "CASCADE", { description: "Message Id", icon: "IconHash", isNullable: false, ...readOnly })
])

const calendarChannel = system("calendarChannel", "calendarChannels", "Calendar Channel", "Calendar Channels", "IconCalendar", "handle", [
  text("handle", "Handle", "IconAt"),
  select("syncStatus", "Sync status", "IconStatusChange", SYNC_STATUSES),
  select("syncStage", "Sync stage", "IconStatusChange", [
    ["CALENDAR_EVENT_LIST_FETCH_PENDING", "Calendar event list fetch pending", "blue"], ["CALENDAR_EVENT_LIST_FETCH_SCHEDULED", "Calendar event list fetch scheduled", "green"],
    ["CALENDAR_EVENT_LIST_FETCH_ONGOING", "Calendar event list fetch ongoing", "orange"], ["CALENDAR_EVENTS_IMPORT_PENDING", "Calendar events import pending", "blue"],
    ["CALENDAR_EVENTS_IMPORT_SCHEDULED", "Calendar events import scheduled", "green"], ["CALENDAR_EVENTS_IMPORT_ONGOING", "Calendar events import ongoing", "orange"],
    ["FAILED", "Failed", "red"], ["PENDING_CONFIGURATION", "Pending configuration", "gray"]
  ], "PENDING_CONFIGURATION"),
  select("visibility", "Visibility", "IconEyeglass", [["METADATA", "Metadata", "green"], ["SHARE_EVERYTHING", "Share Everything", "orange"]], "SHARE_EVERYTHING"),
  bool("isContactAutoCreationEnabled", "Is Contact Auto Creation Enabled", "IconUserCircle", true),
  select("contactAutoCreationPolicy", "Contact auto creation policy", "IconUserCircle", [
    ["AS_PARTICIPANT_AND_ORGANIZER", "As Participant and Organizer", "green"], ["AS_PARTICIPANT", "As Participant", "orange"],
    ["AS_ORGANIZER", "As Organizer", "blue"], ["NONE", "None", "red"]
  ], "AS_PARTICIPANT_AND_ORGANIZER"),
  bool("isSyncEnabled", "Is Sync Enabled", "IconRefresh", true),
  text("syncCursor", "Sync Cursor", "IconReload"),
  date("syncedAt", "Last sync date"),
  date("syncStageStartedAt", "Sync stage started at"),
  { name: "throttleFailureCount", label: "Throttle Failure Count", type: "NUMBER", description: "Throttle Failure Count", icon: "IconX", isNullable: false, defaultValue: 0, ...readOnly },
  manyToOne("connectedAccount", "Connected Account", "connectedAccount", "calendarChannels", "CASCADE", { description: "Connected Account", icon: "IconUserCircle", isNullable: false, ...readOnly }),
  oneToMany("calendarChannelEventAssociations", "Calendar Channel Event Associations", "calendarChannelEventAssociation", "calendarChannel", { description: "Calendar Channel Event Associations", icon: "IconCalendar", ...readOnly })
])

const calendarEvent = system("calendarEvent", "calendarEvents", "Calendar event", "Calendar events", "IconCalendar", "title", [
  text("title", "Title", "IconH1"),
  bool("isCanceled", "Is canceled", "IconCalendarCancel", false),
  bool("isFullDay", "Is Full Day", "IconHours24", false),
  date("startsAt", "Start Date", "IconCalendarClock"),
  date("endsAt", "End Date", "IconCalendarClock"),
  date("externalCreatedAt", "Creation DateTime", "IconCalendarPlus"),
  date("externalUpdatedAt", "Update DateTime", "IconCalendarCog"),
  text("description", "Description", "IconFileDescription"),
  text("location", "Location", "IconMapPin"),
  text("iCalUID", "iCal UID", "IconKey"),
  text("conferenceSolution", "Conference Solution", "IconScreenShare"),
  { name: "conferenceLink", label: "Meet Link", type: "LINKS", description: "Meet Link", icon: "IconLink", ...readOnly },
  oneToMany("calendarChannelEventAssociations", "Calendar Channel Event Associations", "calendarChannelEventAssociation", "calendarEvent", { description: "Calendar Channel Event Associations", icon: "IconCalendar", ...readOnly }),
  oneToMany("calendarEventParticipants", "Event Participants", "calendarEventParticipant", "calendarEvent", { description: "Event Participants", icon: "IconUserCircle", ...readOnly })
])

const calendarEventParticipant = system("calendarEventParticipant", "calendarEventParticipants", "Calendar event participant", "Calendar event participants", "IconCalendar", "handle", [
  text("handle", "Handle", "IconMail"),
  text("displayName", "Display Name", "IconUser"),
  bool("isOrganizer", "Is Organizer", "IconUser", false),
  select("responseStatus", "Response Status", "IconUser", [["NEEDS_ACTION", "Needs Action", "orange"], ["DECLINED", "Declined", "red"], ["TENTATIVE", "Tentative", "yellow"], ["ACCEPTED", "Accepted", "green"]], "NEEDS_ACTION"),
  manyToOne("calendarEvent", "Event ID", "calendarEvent", "calendarEventParticipants", "CASCADE", { description: "Event ID", icon: "IconCalendar", isNullable: false, ...readOnly }),
  manyToOne("person", "Person", "person", "calendarEventParticipants", "SET_NULL", { description: "Person", icon: "IconUser", ...readOnly }),
  manyToOne("workspaceMember", "Workspace Member", "workspaceMember", "calendarEventParticipants", "SET_NULL", { description: "Workspace Member", icon: "IconUser", ...readOnly })
])

const calendarChannelEventAssociation = system("calendarChannelEventAssociation", "calendarChannelEventAssociations", "Calendar Channel Event Association", "Calendar Channel Event Associations", "IconCalendar", "id", [
  text("eventExternalId", "Event external ID", "IconCalendar"),
  text("recurringEventExternalId", "Recurring Event ID", "IconHistory"),
  manyToOne("calendarChannel", "Channel ID", "calendarChannel", "calendarChannelEventAssociations", "CASCADE", { description: "Channel ID", icon: "IconCalendar", isNullable: false, ...readOnly }),
  manyToOne("calendarEvent", "Event ID", "calendarEvent", "calendarChannelEventAssociations", "CASCADE", { description: "Event ID", icon: "IconCalendar", isNullable: false, ...readOnly })
])

const blocklist = system("blocklist", "blocklists", "Blocklist", "Blocklists", "IconForbid2", "handle", [
  { name: "handle", label: "Handle", type: "TEXT", description: "Handle", icon: "IconAt" },
  manyToOne("workspaceMember", "WorkspaceMember", "workspaceMember", "blocklist", "CASCADE", { description: "WorkspaceMember", icon: "IconCircleUser", isNullable: false })
])

export const MESSAGING_OBJECTS: ReadonlyArray<StandardObject> = [
  connectedAccount, messageChannel, messageFolder, messageThread, message, messageParticipant,
  messageChannelMessageAssociation, calendarChannel, calendarEvent, calendarEventParticipant,
  calendarChannelEventAssociation, blocklist
]

/** The inverse sides on objects workspaces already have (Twenty's names), keyed by object. */
export const MESSAGING_INVERSE_FIELDS: Readonly<Record<string, ReadonlyArray<StandardField>>> = {
  person: [
    oneToMany("messageParticipants", "Message Participants", "messageParticipant", "person", { description: "Message Participants", icon: "IconUserCircle", isSystem: true, ...readOnly }),
    oneToMany("calendarEventParticipants", "Calendar Event Participants", "calendarEventParticipant", "person", { description: "Calendar Event Participants", icon: "IconCalendar", isSystem: true, ...readOnly })
  ],
  workspaceMember: [
    oneToMany("connectedAccounts", "Connected accounts", "connectedAccount", "accountOwner", { description: "Connected accounts", icon: "IconAt", ...readOnly }),
    oneToMany("messageParticipants", "Message Participants", "messageParticipant", "workspaceMember", { description: "Message Participants", icon: "IconUserCircle", ...readOnly }),
    oneToMany("blocklist", "Blocklist", "blocklist", "workspaceMember", { description: "Blocklisted handles", icon: "IconForbid2", ...readOnly }),
    oneToMany("calendarEventParticipants", "Calendar Event Participants", "calendarEventParticipant", "workspaceMember", { description: "Calendar Event Participants", icon: "IconCalendar", ...readOnly })
  ]
}
