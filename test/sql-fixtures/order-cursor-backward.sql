SELECT t0."id", coalesce(t0."name", ''), t0."employees", t0."updatedAt"::text
            FROM "workspace_fixture"."company" t0 WHERE t0."deletedAt" IS NULL AND ((t0."employees" > $1) OR (t0."employees" = $2 AND t0."id" < $3)) ORDER BY t0."employees" ASC NULLS FIRST, t0."id" DESC NULLS FIRST LIMIT 3
-- params: [120,120,"00000000-0000-4000-8000-000000000002"]
