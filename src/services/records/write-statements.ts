import type { RecordAction } from "../../domain/events.js"
import type { FieldMetadata, ObjectMetadata } from "../../domain/metadata.js"
import { columnsOf, ident } from "../metadata/columns.js"
import { buildContext } from "./plan.js"
import { type BuildContext, ISO, type Model, recordJson } from "./query-builder.js"
import type { RecordsLimits, RecordsScope, Selection } from "./types.js"

/*
 * Writes as ONE statement: the insert/update/delete, the re-read of the written records and their outbox
 * events are data-modifying CTEs of a single statement, atomic without BEGIN/COMMIT round trips (a create
 * was 5 statements: BEGIN, INSERT, SELECT, INSERT outbox, COMMIT). Every statement answers one row:
 * `n` (how many rows matched, for the mutation limit), `records` (full depth-0 records, as events carry
 * them) and `selected` (the caller's selection, when it is not the full record's).
 */

/** The name a field has in a depth-0 record (a many-to-one relation: its id), or null when records do not carry it. */
const recordKey = (f: FieldMetadata) =>
  f.type === "TS_VECTOR" ? null : f.type === "RELATION" || f.type === "MORPH_RELATION"
    ? (f.relationType === "MANY_TO_ONE" ? `${f.name}Id` : null)
    : f.name

/** Every active field at depth 0: what events carry. */
export const fullSelection = (model: Model, object: ObjectMetadata): Selection => ({
  fields: [...model.fields(object)].flatMap((f) => recordKey(f) ?? []),
  relations: []
})

/**
 * The record fields an update writing `columns` can change, in the record's order, without the system
 * timestamps and actors (as recordEvents' changedFields): an update's `updatedFields` are among them.
 */
const writtenFields = (model: Model, object: ObjectMetadata, columns: ReadonlyArray<string>) => {
  const written = new Set(columns)
  return [...model.fields(object)].flatMap((f) => {
    const key = recordKey(f)
    return key === null || key === "updatedAt" || key === "updatedBy" || !columnsOf(f).some((c) => written.has(c.name)) ? [] : [key]
  })
}

/** What a one-statement write answers (its single row). */
export interface WrittenRow {
  readonly n: number
  readonly records: ReadonlyArray<Record<string, unknown>> | null
  readonly selected: ReadonlyArray<Record<string, unknown>> | null
}

/**
 * How an update's `updatedFields` are found: `compared` by name (columns `p` and `q` of the source: those
 * fields before and after, as jsonb; only the fields its SET writes can change), or every field of `r` and
 * `b` (jsonb).
 */
const updatedFieldsOf = (compared: ReadonlyArray<string> | null) => {
  if (compared === null) {
    return ` CROSS JOIN LATERAL (SELECT json_agg(x.k ORDER BY x.i) AS f FROM json_each(e.r) WITH ORDINALITY AS x(k, v, i)
        WHERE x.k NOT IN ('updatedAt', 'updatedBy') AND (e.b -> x.k) IS DISTINCT FROM x.v::jsonb) d WHERE d.f IS NOT NULL`
  }
  const names = compared.map((k) => `'${k.replace(/'/g, "''")}'`)
  const changed = names.map((k) => `CASE WHEN e.p -> ${k} IS DISTINCT FROM e.q -> ${k} THEN ${k} END`)
  return ` CROSS JOIN LATERAL (SELECT to_json(array_remove(ARRAY[${changed.join(", ")}]::text[], NULL)) AS f) d
      WHERE json_array_length(d.f) > 0`
}

/**
 * The outbox insert of the events of `source`'s rows (columns `id`, `r` the record, `b` its earlier state
 * for updates), with the payload recordEvents builds: an update that changed nothing but `updatedAt` and
 * `updatedBy` has no event. `occurredAt` is the statement's time. The payload is json (migration 21): the
 * records' JSON goes in as built, never parsed into jsonb (about 13 µs of database CPU an update). With
 * `compared`, an update stores only the written fields' earlier values (`beforeFields`, column `p`), which
 * the relay makes `before` again (events/outbox.ts): the statement builds one full record, not two.
 */
const outboxInsert = (
  ctx: BuildContext,
  scope: RecordsScope,
  object: ObjectMetadata,
  action: RecordAction,
  source: string,
  compared: ReadonlyArray<string> | null = null,
  ordered = true
) => {
  const p = ctx.params
  const workspaceId = p.add(scope.workspaceId)
  const name = p.add(`${object.nameSingular}.${action}`)
  const updated = action === "updated"
  return `INSERT INTO core."eventOutbox" ("workspaceId", name, "recordId", payload)
      SELECT ${workspaceId}::uuid, ${name}::text, e.id, json_build_object('name', ${name}::text, 'action', ${p.add(action)}::text,
        'workspaceId', ${workspaceId}::uuid, 'objectMetadataId', ${p.add(object.id)}::text, 'objectNameSingular', ${p.add(object.nameSingular)}::text,
        'recordId', e.id, 'record', e.r${updated ? `, ${compared === null ? "'before', e.b" : "'beforeFields', e.p"}, 'updatedFields', d.f` : ""},
        'actor', ${p.add(JSON.stringify(scope.actor))}::jsonb, 'occurredAt', ${ISO("now()")})
      FROM ${source} e${updated ? updatedFieldsOf(compared) : ""}${ordered ? " ORDER BY e.o" : ""}`
}

/** The answer of a statement whose written records are CTE `changed` (columns r, s, o). */
const answer = (counted: string, selected: boolean) =>
  `SELECT ${counted} AS n, (SELECT json_agg(c.r ORDER BY c.o) FROM changed c) AS records,
      ${selected ? "(SELECT json_agg(c.s ORDER BY c.o) FROM changed c)" : "NULL"} AS selected`

interface Target {
  readonly model: Model
  readonly limits: RecordsLimits
  readonly object: ObjectMetadata
  readonly scope: RecordsScope
  /** The caller's selection when it must be read under its guard (depth 0 only), else null. */
  readonly selection: Selection | null
}

/**
 * The full depth-0 record of alias t0 as JSON: the same text for every write of a model's object (no
 * relations, no guard, so no parameters), built once per (model, object) instead of once or twice per write.
 */
const fullRecords = new WeakMap<Model, Map<string, string>>()
const fullRecordJson = (target: Target) => {
  let texts = fullRecords.get(target.model)
  if (!texts) fullRecords.set(target.model, texts = new Map())
  let text = texts.get(target.object.id)
  if (text === undefined) {
    text = recordJson(buildContext(target.model, target.limits), target.object, "t0", fullSelection(target.model, target.object), 0)
    texts.set(target.object.id, text)
  }
  return text
}

/** The record (`r`, unrestricted) and, when asked, the caller's selection (`s`, under its guard) of alias t0. */
const outputs = (ctx: BuildContext, target: Target) => {
  return `${fullRecordJson(target)} AS r${
    target.selection ? `, ${recordJson(ctx, target.object, "t0", target.selection, 0)} AS s` : ""
  }`
}

/** Creates `rows` (column → value, ids set): INSERT, re-read and `created` events in one statement. */
export const createStatement = (ctx: BuildContext, target: Target, rows: ReadonlyArray<Record<string, unknown>>) => {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))]
  const tuples = rows.map((row) => `(${names.map((n) => (n in row ? ctx.params.add(row[n]) : "DEFAULT")).join(", ")})`)
  const ids = ctx.params.add(rows.map((r) => r["id"]))
  const text = `WITH written AS (INSERT INTO ${target.model.table(target.object)} (${names.map(ident).join(", ")}) VALUES ${tuples.join(", ")} RETURNING *),
    changed AS (SELECT t0."id" AS id, ${outputs(ctx, target)}, array_position(${ids}::uuid[], t0."id") AS o FROM written t0),
    events AS (${outboxInsert(ctx, target.scope, target.object, "created", "changed")})
    ${answer(`${rows.length}`, target.selection !== null)}`
  return { text, params: ctx.params.values }
}

/** JSON of the record fields `keys` of alias t0 (no parameters), as jsonb. */
const fieldsJsonb = (target: Target, keys: ReadonlyArray<string>) =>
  `${recordJson(buildContext(target.model, target.limits), target.object, "t0", { fields: [...keys], relations: [] }, 0)}::jsonb`

/**
 * Changes the rows matching `where` (alias t0, at most `limit`, locked): `update` sets `set` (writing the
 * columns `written`) and writes `updated` events with the records before and after; `softDelete`/`restore`
 * set `set` and write their action's events; `destroy` deletes and writes `destroyed` events with the
 * records as they were. Beyond the limit nothing is written and `n` says how many matched.
 */
export const changeStatement = (
  ctx: BuildContext,
  target: Target,
  action: Exclude<RecordAction, "created">,
  where: ReadonlyArray<string>,
  set: ReadonlyArray<string>,
  written: ReadonlyArray<string> = []
) => {
  const table = target.model.table(target.object)
  const limit = target.limits.maxRecordsPerMutation
  const destroy = action === "destroyed"
  const updated = action === "updated"
  // An update's updatedFields: only the fields it writes are compared (about 30 µs of database CPU less
  // than comparing every field of the record as JSON).
  const compared = updated ? writtenFields(target.model, target.object, written) : []
  // What the update may change, as it was (its event's `before` is the record with these), or a destroyed
  // record's everything.
  const before = updated
    ? `, ${fieldsJsonb(target, fullSelection(target.model, target.object).fields
      .filter((k) => k === "updatedAt" || k === "updatedBy" || compared.includes(k)))} AS p`
    : destroy ? `, ${outputs(ctx, target)}` : ""
  const locked = `matched AS (SELECT t0."id" AS id${before} FROM ${table} t0 WHERE ${where.join(" AND ")}
      ORDER BY t0."id" LIMIT ${limit + 1} FOR UPDATE OF t0),
    counted AS (SELECT count(*)::int AS n FROM matched)`
  const allowed = `(SELECT n FROM counted) <= ${limit}`
  const writing = destroy
    ? `written AS (DELETE FROM ${table} AS t0 USING matched m WHERE t0."id" = m.id AND ${allowed} RETURNING t0."id")`
    : `written AS (UPDATE ${table} AS t0 SET ${set.join(", ")} FROM matched m WHERE t0."id" = m.id AND ${allowed} RETURNING t0.*)`
  const changed = destroy
    ? `changed AS (SELECT m.id, m.r${target.selection ? ", m.s" : ""}, m.id AS o FROM matched m JOIN written w ON w.id = m.id)`
    : `changed AS (SELECT t0."id" AS id, ${outputs(ctx, target)}${
      updated ? `, m.p, ${fieldsJsonb(target, compared)} AS q` : ""
    }, t0."id" AS o
        FROM written t0 JOIN matched m ON m.id = t0."id")`
  const text = `WITH ${locked},
    ${writing},
    ${changed},
    events AS (${outboxInsert(ctx, target.scope, target.object, action, "changed", compared)})
    ${answer("(SELECT n FROM counted)", target.selection !== null)}`
  return { text, params: ctx.params.values }
}

/**
 * Upserts `rows` (the same columns each, distinct ids): inserted, or on an existing id (soft-deleted too)
 * updated with `updates` and restored; `created` events for the new rows, `updated` events with the
 * earlier record for the others, in one statement.
 */
export const upsertStatement = (ctx: BuildContext, target: Target, rows: ReadonlyArray<Record<string, unknown>>, updates: ReadonlyArray<string>) => {
  const table = target.model.table(target.object)
  const names = Object.keys(rows[0]!)
  const tuples = rows.map((row) => `(${names.map((n) => ctx.params.add(row[n])).join(", ")})`)
  const ids = ctx.params.add(rows.map((r) => r["id"]))
  const earlier = fullRecordJson(target)
  const set = [...updates.map((n) => `${ident(n)} = EXCLUDED.${ident(n)}`), `"updatedAt" = now()`, `"deletedAt" = NULL`]
  // Not locked: the insert does not wait on it, and a row it updated would be skipped by a locking read of
  // the same statement; the statement's snapshot gives the rows as they were (as the earlier read did).
  const text = `WITH matched AS (SELECT t0."id" AS id, ${earlier} AS r FROM ${table} t0 WHERE t0."id" = ANY(${ids}::uuid[])),
    written AS (INSERT INTO ${table} (${names.map(ident).join(", ")}) VALUES ${tuples.join(", ")}
      ON CONFLICT ("id") DO UPDATE SET ${set.join(", ")} RETURNING *),
    changed AS (SELECT t0."id" AS id, ${outputs(ctx, target)}, m.r::jsonb AS b, array_position(${ids}::uuid[], t0."id") AS o
      FROM written t0 LEFT JOIN matched m ON m.id = t0."id"),
    created AS (${outboxInsert(ctx, target.scope, target.object, "created", "(SELECT * FROM changed WHERE b IS NULL)")}),
    events AS (${outboxInsert(ctx, target.scope, target.object, "updated", "(SELECT * FROM changed WHERE b IS NOT NULL)")})
    ${answer(`${rows.length}`, target.selection !== null)}`
  return { text, params: ctx.params.values }
}

/*
 * One record by id (the direct writes): the same write, record and events with fewer plan steps, since at
 * most one row matches. No mutation-limit count, no order, no `changed` step: the record's JSON is computed in
 * the write's RETURNING and the answer is that one row (none when no record matched). A prepared statement's
 * executor start-up grows with its steps; database CPU per statement (loaded machine, interleaved, medians of
 * 4 × 3,000 runs): update 407 → 330 µs, create 290 → 257 µs.
 */

/** The answer of a one-record statement whose write is CTE `written` (columns r, s). */
const answerOne = (selected: boolean) =>
  `SELECT 1 AS n, json_build_array(w.r) AS records, ${selected ? "json_build_array(w.s)" : "NULL"} AS selected FROM written w`

/** Creates one record (`row`: column → value, id set): INSERT, its record and its `created` event. */
export const createOneStatement = (ctx: BuildContext, target: Target, row: Record<string, unknown>) => {
  const names = Object.keys(row)
  const text = `WITH written AS (INSERT INTO ${target.model.table(target.object)} AS t0 (${names.map(ident).join(", ")})
      VALUES (${names.map((n) => ctx.params.add(row[n])).join(", ")}) RETURNING t0."id" AS id, ${outputs(ctx, target)}),
    events AS (${outboxInsert(ctx, target.scope, target.object, "created", "written", null, false)})
    ${answerOne(target.selection !== null)}`
  return { text, params: ctx.params.values }
}

/**
 * Updates (`set`, writing the columns `written`), soft-deletes or restores the one row matching `where`
 * (conditions naming it by id), with its event. An update reads the fields it may change under a row lock
 * first (its event's `beforeFields`); a soft delete or restore is a plain UPDATE, whose own row lock
 * re-checks `where` against a concurrent write as the locking read did.
 */
export const changeOneStatement = (
  ctx: BuildContext,
  target: Target,
  action: "updated" | "deleted" | "restored",
  where: ReadonlyArray<string>,
  set: ReadonlyArray<string>,
  written: ReadonlyArray<string> = []
) => {
  const table = target.model.table(target.object)
  const returning = `t0."id" AS id, ${outputs(ctx, target)}`
  if (action !== "updated") {
    const text = `WITH written AS (UPDATE ${table} AS t0 SET ${set.join(", ")} WHERE ${where.join(" AND ")} RETURNING ${returning}),
    events AS (${outboxInsert(ctx, target.scope, target.object, action, "written", null, false)})
    ${answerOne(target.selection !== null)}`
    return { text, params: ctx.params.values }
  }
  const compared = writtenFields(target.model, target.object, written)
  const before = fieldsJsonb(target, fullSelection(target.model, target.object).fields
    .filter((k) => k === "updatedAt" || k === "updatedBy" || compared.includes(k)))
  const text = `WITH matched AS (SELECT t0."id" AS id, ${before} AS p FROM ${table} t0 WHERE ${where.join(" AND ")} FOR UPDATE OF t0),
    written AS (UPDATE ${table} AS t0 SET ${set.join(", ")} FROM matched m WHERE t0."id" = m.id
      RETURNING ${returning}, m.p, ${fieldsJsonb(target, compared)} AS q),
    events AS (${outboxInsert(ctx, target.scope, target.object, action, "written", compared, false)})
    ${answerOne(target.selection !== null)}`
  return { text, params: ctx.params.values }
}
