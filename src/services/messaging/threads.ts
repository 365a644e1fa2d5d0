import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { ident } from "../metadata/columns.js"
import { type FetchedMessage, threadRootOf } from "./parse.js"

/**
 * The thread of each message, by Message-ID / In-Reply-To / References: a message joins the thread of a
 * message it refers to, or of a message sharing its root (a reply imported before its original), else a
 * new thread. Answers, per message, the existing thread id or null (new thread, shared by the batch's
 * messages with the same root).
 */
export const resolveThreads = (schema: string, messages: ReadonlyArray<FetchedMessage>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const s = ident(schema)
    const roots = [...new Set(messages.map(threadRootOf))]
    const referenced = [...new Set(messages.flatMap((m) => [...m.references, ...(m.inReplyTo ? [m.inReplyTo] : []), m.headerMessageId]))]
    const byRoot = yield* sql.unsafe<{ root: string; threadId: string }>(
      `SELECT DISTINCT ON (a."messageThreadExternalId") a."messageThreadExternalId" AS root, m."messageThreadId" AS "threadId"
         FROM ${s}."messageChannelMessageAssociation" a JOIN ${s}.message m ON m.id = a."messageId"
        WHERE a."messageThreadExternalId" = ANY($1) AND m."messageThreadId" IS NOT NULL AND m."deletedAt" IS NULL`,
      [roots]
    )
    const byMessageId = yield* sql.unsafe<{ headerMessageId: string; threadId: string }>(
      `SELECT DISTINCT ON ("headerMessageId") "headerMessageId", "messageThreadId" AS "threadId" FROM ${s}.message
        WHERE "headerMessageId" = ANY($1) AND "messageThreadId" IS NOT NULL AND "deletedAt" IS NULL`,
      [referenced]
    )
    const rootThreads = new Map(byRoot.map((r) => [r.root, r.threadId]))
    const messageThreads = new Map(byMessageId.map((r) => [r.headerMessageId, r.threadId]))
    return messages.map((m) => {
      const refs = [m.headerMessageId, m.inReplyTo, ...m.references].filter((r): r is string => r !== null)
      return rootThreads.get(threadRootOf(m)) ?? refs.map((r) => messageThreads.get(r)).find((t) => t !== undefined) ?? null
    })
  })
