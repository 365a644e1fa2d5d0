SELECT t0."id", coalesce(t0."name", '')
            FROM "workspace_fixture"."company" t0 WHERE t0."deletedAt" IS NULL AND t0."employees" IS NOT NULL ORDER BY t0."id" ASC NULLS LAST LIMIT 4
-- params: []

SELECT json_build_object('totalCount', count(*), 'sumEmployees', sum(t0."employees"), 'countEmptyName', CASE WHEN count(*) = 0 THEN NULL ELSE count(*) FILTER (WHERE (t0."name" IS NULL OR t0."name"::text = '')) END, 'minCreatedAt', to_char(min(t0."createdAt") AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'percentageEmptyDomainName', CASE WHEN count(*) = 0 THEN NULL ELSE count(*) FILTER (WHERE (t0."domainNamePrimaryLinkLabel" IS NULL OR t0."domainNamePrimaryLinkLabel"::text = '') AND (t0."domainNamePrimaryLinkUrl" IS NULL OR t0."domainNamePrimaryLinkUrl"::text = ''))::float / count(*) END, 'avgArr', (avg(t0."annualRecurringRevenueAmountMicros"))::text) AS a
                FROM "workspace_fixture"."company" t0 WHERE t0."deletedAt" IS NULL AND t0."employees" IS NOT NULL
-- params: []
