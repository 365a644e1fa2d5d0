import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * One row per mail queued under a dedup key (services/mail/deliveries.ts): written when it is queued,
 * `sentAt` once the transport accepted it, so queueing it again after a crash sends nothing twice.
 */
export const createMailDeliveryTable = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.unsafe(`
    CREATE TABLE core."mailDelivery" (
      key text PRIMARY KEY,
      "createdAt" timestamptz NOT NULL DEFAULT now(),
      "sentAt" timestamptz
    );
    CREATE INDEX "mailDelivery_createdAt" ON core."mailDelivery" ("createdAt")`))
