/**
 * Mail queued under a dedup key is sent once per key, durably (a workflow's SEND_EMAIL re-run after its
 * worker died must not mail twice). The key's row is written before the mail is queued and marked sent
 * once the transport accepted it; queueing again finds it and, if sent, does nothing. What remains is
 * the queue's own window: a worker killed after the transport accepted the mail and before the mark is
 * written retries the job and sends it again (SMTP has no idempotency key).
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** Records the key (once) and says whether its mail was already sent. */
export const claimDelivery = (key: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ sentAt: Date | string | null }>`
        INSERT INTO core."mailDelivery" (key) VALUES (${key})
        ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key RETURNING "sentAt"`,
      (rows) => ({ alreadySent: rows[0]?.sentAt != null })
    ))

export const deliverySent = (key: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql<{ sentAt: Date | string | null }>`SELECT "sentAt" FROM core."mailDelivery" WHERE key = ${key}`, (rows) => rows[0]?.sentAt != null))

export const markDeliverySent = (key: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE core."mailDelivery" SET "sentAt" = now() WHERE key = ${key}`.pipe(Effect.asVoid))

/** Keys are kept this long: far beyond any run that could still re-run a step. */
export const pruneDeliveries = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql`DELETE FROM core."mailDelivery" WHERE "createdAt" < now() - interval '30 days'`.pipe(Effect.asVoid))
