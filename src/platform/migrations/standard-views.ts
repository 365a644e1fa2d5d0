import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { OBJECT_LABEL_PLURAL_PLACEHOLDER, STANDARD_VIEWS } from "../../domain/standard-views.js"

/**
 * Creates Twenty's standard views (with their fields, groups and filters) for one workspace, or for
 * every workspace when `workspaceId` is null (the migration that introduced views). Objects and fields
 * are found by name; a view already seeded (same object, name, not custom) is left alone.
 */
export const seedStandardViews = (workspaceId: string | null) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const inWorkspace = workspaceId === null ? sql`true` : sql`o."workspaceId" = ${workspaceId}`
    for (const view of STANDARD_VIEWS) {
      const created = yield* sql<{ id: string; workspaceId: string; objectMetadataId: string }>`
        INSERT INTO core.view ("workspaceId", "objectMetadataId", name, type, key, icon, position, "isCustom",
          "mainGroupByFieldMetadataId", "kanbanAggregateOperation", "kanbanAggregateOperationFieldMetadataId")
        SELECT o."workspaceId", o.id, ${view.name}, ${view.type}, ${view.key}, ${view.icon}, ${view.position}, false,
          g.id, ${view.kanbanAggregateOperation ?? null}, a.id
          FROM core."objectMetadata" o
          LEFT JOIN core."fieldMetadata" g ON g."objectMetadataId" = o.id AND g.name = ${view.mainGroupByField ?? null}
          LEFT JOIN core."fieldMetadata" a ON a."objectMetadataId" = o.id AND a.name = ${view.kanbanAggregateOperationField ?? null}
         WHERE o."nameSingular" = ${view.object} AND ${inWorkspace}
           AND NOT EXISTS (SELECT 1 FROM core.view v
                            WHERE v."objectMetadataId" = o.id AND v.name = ${view.name} AND NOT v."isCustom")
        RETURNING id, "workspaceId", "objectMetadataId"`
      if (created.length === 0) continue
      const ids = created.map((v) => v.id)
      yield* sql`
        INSERT INTO core."viewField" ("workspaceId", "viewId", "fieldMetadataId", position, size, "isVisible", "aggregateOperation")
        SELECT v."workspaceId", v.id, fm.id, d.position, d.size, coalesce(d."isVisible", true), d."aggregateOperation"
          FROM core.view v
          CROSS JOIN jsonb_to_recordset(${JSON.stringify(view.fields)}::jsonb)
            AS d(field text, position float8, size float8, "isVisible" boolean, "aggregateOperation" text)
          JOIN core."fieldMetadata" fm ON fm."objectMetadataId" = v."objectMetadataId" AND fm.name = d.field
         WHERE v.id IN ${sql.in(ids)}`
      if (view.groups?.length) {
        yield* sql`
          INSERT INTO core."viewGroup" ("workspaceId", "viewId", "fieldMetadataId", "fieldValue", position, "isVisible")
          SELECT v."workspaceId", v.id, v."mainGroupByFieldMetadataId", g.value, g.ordinality - 1, true
            FROM core.view v
            CROSS JOIN jsonb_array_elements_text(${JSON.stringify(view.groups)}::jsonb) WITH ORDINALITY AS g(value, ordinality)
           WHERE v.id IN ${sql.in(ids)}`
      }
      if (view.filters?.length) {
        yield* sql`
          INSERT INTO core."viewFilter" ("workspaceId", "viewId", "fieldMetadataId", operand, value)
          SELECT v."workspaceId", v.id, fm.id, d.operand, to_jsonb(d.value)
            FROM core.view v
            CROSS JOIN jsonb_to_recordset(${JSON.stringify(view.filters)}::jsonb) AS d(field text, operand text, value text)
            JOIN core."fieldMetadata" fm ON fm."objectMetadataId" = v."objectMetadataId" AND fm.name = d.field
           WHERE v.id IN ${sql.in(ids)}`
      }
    }
  })

/**
 * The standard views of a workspace that has none yet (a new one), as one statement: the same rows as
 * `seedStandardViews(workspaceId)` (test/provisioning.test.ts compares them), in one round trip instead
 * of one to four per view (~25): a new workspace spent most of its view seeding waiting on them.
 */
export const seedNewWorkspaceViews = (workspaceId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const views = STANDARD_VIEWS.map((view) => ({
      object: view.object,
      name: view.name,
      type: view.type,
      key: view.key,
      icon: view.icon,
      position: view.position,
      groupBy: view.mainGroupByField ?? null,
      aggregate: view.kanbanAggregateOperation ?? null,
      aggregateField: view.kanbanAggregateOperationField ?? null,
      fields: view.fields,
      groups: view.groups ?? [],
      filters: view.filters ?? []
    }))
    yield* sql`
      WITH d AS (
        SELECT d.*, o.id AS "objectMetadataId", g.id AS "groupById", a.id AS "aggregateFieldId"
          FROM jsonb_to_recordset(${JSON.stringify(views)}::jsonb)
            AS d(object text, name text, type text, key text, icon text, position float8, "groupBy" text,
                 aggregate text, "aggregateField" text, fields jsonb, groups jsonb, filters jsonb)
          JOIN core."objectMetadata" o ON o."nameSingular" = d.object AND o."workspaceId" = ${workspaceId}
          LEFT JOIN core."fieldMetadata" g ON g."objectMetadataId" = o.id AND g.name = d."groupBy"
          LEFT JOIN core."fieldMetadata" a ON a."objectMetadataId" = o.id AND a.name = d."aggregateField"
      ), v AS (
        INSERT INTO core.view ("workspaceId", "objectMetadataId", name, type, key, icon, position, "isCustom",
          "mainGroupByFieldMetadataId", "kanbanAggregateOperation", "kanbanAggregateOperationFieldMetadataId")
        SELECT ${workspaceId}, "objectMetadataId", name, type, key, icon, position, false, "groupById", aggregate, "aggregateFieldId"
          FROM d
        RETURNING id, "objectMetadataId", name, "mainGroupByFieldMetadataId"
      ), vd AS (
        SELECT v.id, v."objectMetadataId", v."mainGroupByFieldMetadataId", d.fields, d.groups, d.filters
          FROM v JOIN d ON d."objectMetadataId" = v."objectMetadataId" AND d.name = v.name
      ), fields AS (
        INSERT INTO core."viewField" ("workspaceId", "viewId", "fieldMetadataId", position, size, "isVisible", "aggregateOperation")
        SELECT ${workspaceId}, vd.id, fm.id, f.position, f.size, coalesce(f."isVisible", true), f."aggregateOperation"
          FROM vd
          CROSS JOIN jsonb_to_recordset(vd.fields)
            AS f(field text, position float8, size float8, "isVisible" boolean, "aggregateOperation" text)
          JOIN core."fieldMetadata" fm ON fm."objectMetadataId" = vd."objectMetadataId" AND fm.name = f.field
      ), groups AS (
        INSERT INTO core."viewGroup" ("workspaceId", "viewId", "fieldMetadataId", "fieldValue", position, "isVisible")
        SELECT ${workspaceId}, vd.id, vd."mainGroupByFieldMetadataId", g.value, g.ordinality - 1, true
          FROM vd CROSS JOIN jsonb_array_elements_text(vd.groups) WITH ORDINALITY AS g(value, ordinality)
      )
      INSERT INTO core."viewFilter" ("workspaceId", "viewId", "fieldMetadataId", operand, value)
      SELECT ${workspaceId}, vd.id, fm.id, f.operand, to_jsonb(f.value)
        FROM vd
        CROSS JOIN jsonb_to_recordset(vd.filters) AS f(field text, operand text, value text)
        JOIN core."fieldMetadata" fm ON fm."objectMetadataId" = vd."objectMetadataId" AND fm.name = f.field`
  })

/**
 * The index view a new custom object gets, as Twenty creates one with the object ("All {objectLabelPlural}",
 * TABLE, INDEX): the label identifier field first, then the object's own non-relation fields, then
 * createdBy and createdAt as every standard index view shows them. Nothing when the object has an index view.
 */
export const seedObjectIndexView = (objectMetadataId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [view] = yield* sql<{ id: string }>`
      INSERT INTO core.view ("workspaceId", "objectMetadataId", name, type, key, icon, position, "isCustom")
      SELECT o."workspaceId", o.id, ${`All ${OBJECT_LABEL_PLURAL_PLACEHOLDER}`}, 'TABLE', 'INDEX', 'IconList', 0, false
        FROM core."objectMetadata" o
       WHERE o.id = ${objectMetadataId}
         AND NOT EXISTS (SELECT 1 FROM core.view v WHERE v."objectMetadataId" = o.id AND v.key = 'INDEX' AND v."deletedAt" IS NULL)
      RETURNING id`
    if (!view) return
    yield* sql`
      INSERT INTO core."viewField" ("workspaceId", "viewId", "fieldMetadataId", position, size, "isVisible")
      SELECT f."workspaceId", ${view.id}, f.id,
             row_number() OVER (ORDER BY f.id = o."labelIdentifierFieldMetadataId" DESC, f."isSystem", f.name = 'createdAt', f."createdAt", f.name) - 1,
             180, true
        FROM core."fieldMetadata" f JOIN core."objectMetadata" o ON o.id = f."objectMetadataId"
       WHERE o.id = ${objectMetadataId} AND f."isActive"
         AND (f.id = o."labelIdentifierFieldMetadataId" OR f.name IN ('createdBy', 'createdAt')
              OR (NOT f."isSystem" AND f.type NOT IN ('RELATION', 'MORPH_RELATION')))`
  })

/** Every view a workspace (or every workspace) lacks: the standard ones, and each custom object's index view. */
export const seedMissingViews = (workspaceId: string | null) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* seedStandardViews(workspaceId)
    const custom = yield* sql<{ id: string }>`
      SELECT id FROM core."objectMetadata"
       WHERE "isCustom" AND ${workspaceId === null ? sql`true` : sql`"workspaceId" = ${workspaceId}`}`
    for (const object of custom) yield* seedObjectIndexView(object.id)
  })
