/** Twenty's IMAP / SMTP / CalDAV accounts on `/metadata` (imap-smtp-caldav-connection resolver, startChannelSync). */
export const messagingTypeDefs = /* GraphQL */ `
input ConnectionParameters {
  host: String!
  port: Float!
  username: String
  password: String
  secure: Boolean
}
input EmailAccountConnectionParameters {
  IMAP: ConnectionParameters
  SMTP: ConnectionParameters
  CALDAV: ConnectionParameters
}
type ConnectionParametersOutput {
  host: String!
  port: Float!
  username: String
  "Never answered: credentials are stored sealed and only read by the sync."
  password: String
  secure: Boolean
}
type ImapSmtpCaldavConnectionParameters {
  IMAP: ConnectionParametersOutput
  SMTP: ConnectionParametersOutput
  CALDAV: ConnectionParametersOutput
}
type ConnectedImapSmtpCaldavAccount {
  id: UUID!
  handle: String!
  provider: String!
  accountOwnerId: UUID!
  connectionParameters: ImapSmtpCaldavConnectionParameters
}
type ImapSmtpCaldavConnectionSuccess { success: Boolean! connectedAccountId: String! }
type ChannelSyncSuccess { success: Boolean! }

extend type Query {
  getConnectedImapSmtpCaldavAccount(id: UUID!): ConnectedImapSmtpCaldavAccount!
}
extend type Mutation {
  saveImapSmtpCaldavAccount(accountOwnerId: UUID!, handle: String!, connectionParameters: EmailAccountConnectionParameters!, id: UUID): ImapSmtpCaldavConnectionSuccess!
  startChannelSync(connectedAccountId: UUID!): ChannelSyncSuccess!
}
`
