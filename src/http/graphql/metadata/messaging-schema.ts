/** Twenty's IMAP / SMTP / CalDAV accounts on `/metadata` (twenty-client-sdk 2.43's shapes), and startChannelSync. */
export const messagingTypeDefs = /* GraphQL */ `
enum EmailConnectionSecurity { NONE STARTTLS SSL_TLS }
input ConnectionParametersInput {
  host: String!
  port: Float!
  username: String
  password: String
  connectionSecurity: EmailConnectionSecurity
}
input EmailAccountConnectionParameters {
  name: String
  IMAP: ConnectionParametersInput
  SMTP: ConnectionParametersInput
  CALDAV: ConnectionParametersInput
}
"Never a password: credentials are stored sealed and only read by the sync and by sending."
type ImapSmtpCaldavPublicConnectionParams {
  host: String!
  port: Float!
  username: String
  connectionSecurity: EmailConnectionSecurity
}
type ImapSmtpCaldavPublicConnectionParameters {
  name: String
  IMAP: ImapSmtpCaldavPublicConnectionParams
  SMTP: ImapSmtpCaldavPublicConnectionParams
  CALDAV: ImapSmtpCaldavPublicConnectionParams
}
type ConnectedImapSmtpCaldavAccount {
  id: UUID!
  handle: String!
  provider: String!
  userWorkspaceId: UUID!
  connectionParameters: ImapSmtpCaldavPublicConnectionParameters
}
type ImapSmtpCaldavConnectionSuccess { success: Boolean! connectedAccountId: String! }
type ChannelSyncSuccess { success: Boolean! }

extend type Query {
  getConnectedImapSmtpCaldavAccount(id: UUID!): ConnectedImapSmtpCaldavAccount!
}
extend type Mutation {
  "Connects (or, with id, updates) a mail account of the caller's."
  saveImapSmtpCaldavAccount(handle: String!, connectionParameters: EmailAccountConnectionParameters!, id: UUID): ImapSmtpCaldavConnectionSuccess!
  startChannelSync(connectedAccountId: UUID!): ChannelSyncSuccess!
}
`
