import {
  GraphQLBoolean,
  GraphQLEnumType,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigMap,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  type GraphQLNullableType,
  GraphQLObjectType,
  GraphQLString
} from "graphql"
import { Forbidden } from "../../../../domain/errors.js"
import type { TimelineTarget } from "../../../../services/mail-timeline/target.js"
import { CALENDAR_VISIBILITIES, MESSAGE_VISIBILITIES } from "../../../../services/mail-timeline/visibility.js"
import { toGraphQLError } from "../../../errors.js"
import { DateTimeScalar, UUIDScalar } from "../../scalars.js"
import type { DataGraphQLContext } from "./context.js"

/*
 * Twenty's timeline queries (core-modules/messaging TimelineMessagingResolver, core-modules/calendar
 * TimelineCalendarEventResolver), served beside the workspace's records on /graphql as Twenty serves them.
 */

const nonNull = <T extends GraphQLNullableType>(type: T) => new GraphQLNonNull(type)
const listOf = <T extends GraphQLObjectType>(type: T) => nonNull(new GraphQLList(nonNull(type)))

const enumOf = (name: string, values: ReadonlyArray<string>) =>
  new GraphQLEnumType({ name, values: Object.fromEntries(values.map((v) => [v, { value: v }])) })

const MessageChannelVisibility = enumOf("MessageChannelVisibility", MESSAGE_VISIBILITIES)
const CalendarChannelVisibility = enumOf("CalendarChannelVisibility", CALENDAR_VISIBILITIES)

const participantFields = {
  personId: { type: UUIDScalar },
  workspaceMemberId: { type: UUIDScalar },
  firstName: { type: nonNull(GraphQLString) },
  lastName: { type: nonNull(GraphQLString) },
  displayName: { type: nonNull(GraphQLString) },
  avatarUrl: { type: nonNull(GraphQLString) },
  handle: { type: nonNull(GraphQLString) }
}

const TimelineThreadParticipant = new GraphQLObjectType({ name: "TimelineThreadParticipant", fields: participantFields })
const TimelineCalendarEventParticipant = new GraphQLObjectType({ name: "TimelineCalendarEventParticipant", fields: participantFields })

const TimelineThread = new GraphQLObjectType({
  name: "TimelineThread",
  fields: {
    id: { type: nonNull(UUIDScalar) },
    read: { type: nonNull(GraphQLBoolean) },
    visibility: { type: nonNull(MessageChannelVisibility) },
    firstParticipant: { type: nonNull(TimelineThreadParticipant) },
    lastTwoParticipants: { type: listOf(TimelineThreadParticipant) },
    lastMessageReceivedAt: { type: nonNull(DateTimeScalar) },
    lastMessageBody: { type: nonNull(GraphQLString) },
    subject: { type: nonNull(GraphQLString) },
    numberOfMessagesInThread: { type: nonNull(GraphQLInt) },
    participantCount: { type: nonNull(GraphQLInt) }
  }
})

const TimelineThreadsWithTotal = new GraphQLObjectType({
  name: "TimelineThreadsWithTotal",
  fields: {
    totalNumberOfThreads: { type: nonNull(GraphQLInt) },
    timelineThreads: { type: listOf(TimelineThread) }
  }
})

const LinkMetadata = new GraphQLObjectType({
  name: "LinkMetadata",
  fields: { label: { type: nonNull(GraphQLString) }, url: { type: nonNull(GraphQLString) } }
})

const LinksMetadata = new GraphQLObjectType({
  name: "LinksMetadata",
  fields: {
    primaryLinkLabel: { type: nonNull(GraphQLString) },
    primaryLinkUrl: { type: nonNull(GraphQLString) },
    secondaryLinks: { type: new GraphQLList(nonNull(LinkMetadata)) }
  }
})

const TimelineCalendarEvent = new GraphQLObjectType({
  name: "TimelineCalendarEvent",
  fields: {
    id: { type: nonNull(UUIDScalar) },
    title: { type: nonNull(GraphQLString) },
    isCanceled: { type: nonNull(GraphQLBoolean) },
    isFullDay: { type: nonNull(GraphQLBoolean) },
    startsAt: { type: nonNull(DateTimeScalar) },
    endsAt: { type: nonNull(DateTimeScalar) },
    description: { type: nonNull(GraphQLString) },
    location: { type: nonNull(GraphQLString) },
    conferenceSolution: { type: nonNull(GraphQLString) },
    conferenceLink: { type: nonNull(LinksMetadata) },
    participants: { type: listOf(TimelineCalendarEventParticipant) },
    visibility: { type: nonNull(CalendarChannelVisibility) }
  }
})

const TimelineCalendarEventsWithTotal = new GraphQLObjectType({
  name: "TimelineCalendarEventsWithTotal",
  fields: {
    totalNumberOfCalendarEvents: { type: nonNull(GraphQLInt) },
    timelineCalendarEvents: { type: listOf(TimelineCalendarEvent) }
  }
})

type PageArgs = Record<string, unknown> & { page: number; pageSize: number }

const pageArgs = (idName: string) => ({
  [idName]: { type: nonNull(UUIDScalar) },
  page: { type: nonNull(GraphQLInt) },
  pageSize: { type: nonNull(GraphQLInt) }
})

const OBJECTS = [["Person", "person"], ["Company", "company"], ["Opportunity", "opportunity"]] as const

/** Twenty's UserAuthGuard on the thread queries: an API key is refused. */
const userOnly = new Forbidden({ message: "Forbidden resource" })

const threadsField = (object: TimelineTarget["object"]): GraphQLFieldConfig<unknown, DataGraphQLContext, PageArgs> => ({
  type: nonNull(TimelineThreadsWithTotal),
  args: pageArgs(`${object}Id`),
  resolve: async (_source, args, context) => {
    const scope = await context.scope()
    if (scope.actor.source !== "MANUAL") throw toGraphQLError(userOnly)
    return context.timeline.threads(scope, { object, id: args[`${object}Id`] as string }, args.page, args.pageSize)
  }
})

const calendarEventsField = (object: TimelineTarget["object"]): GraphQLFieldConfig<unknown, DataGraphQLContext, PageArgs> => ({
  type: nonNull(TimelineCalendarEventsWithTotal),
  args: pageArgs(`${object}Id`),
  resolve: async (_source, args, context) =>
    context.timeline.calendarEvents(await context.scope(), { object, id: args[`${object}Id`] as string }, args.page, args.pageSize)
})

/** The six root query fields, by name. */
export const timelineQueryFields: GraphQLFieldConfigMap<unknown, DataGraphQLContext> = Object.fromEntries(OBJECTS.flatMap(([name, object]) => [
  [`getTimelineThreadsFrom${name}Id`, threadsField(object)],
  [`getTimelineCalendarEventsFrom${name}Id`, calendarEventsField(object)]
])) as GraphQLFieldConfigMap<unknown, DataGraphQLContext>
