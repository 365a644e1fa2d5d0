SELECT s.id, s.label, s.rank FROM (
                  SELECT t0."id" AS id, t0."name" AS label, (CASE WHEN t0."name" ILIKE $1 THEN 2 ELSE 1 END)::float AS rank
                  FROM "workspace_fixture"."company" t0 WHERE t0."deletedAt" IS NULL AND NOT (t0."createdAt" < $2) AND concat_ws(' ', t0."name", t0."domainNamePrimaryLinkUrl", t0."linkedinLinkPrimaryLinkUrl", t0."xLinkPrimaryLinkUrl") ILIKE $3) s
                WHERE true ORDER BY s.rank DESC, s.id LIMIT 6
-- params: ["acme%","2020-01-01T00:00:00.000Z","%acme%"]

SELECT s.id, s.label, s.rank FROM (
                  SELECT t0."id" AS id, concat_ws(' ', t0."nameFirstName", t0."nameLastName") AS label, (CASE WHEN concat_ws(' ', t0."nameFirstName", t0."nameLastName") ILIKE $1 THEN 2 ELSE 1 END)::float AS rank
                  FROM "workspace_fixture"."person" t0 WHERE t0."deletedAt" IS NULL AND NOT (t0."createdAt" < $2) AND concat_ws(' ', t0."nameFirstName", t0."nameLastName", t0."emailsPrimaryEmail", t0."linkedinLinkPrimaryLinkUrl", t0."xLinkPrimaryLinkUrl", t0."jobTitle", t0."phonesPrimaryPhoneNumber", t0."city", t0."avatarUrl") ILIKE $3) s
                WHERE true ORDER BY s.rank DESC, s.id LIMIT 6
-- params: ["acme%","2020-01-01T00:00:00.000Z","%acme%"]

SELECT s.id, s.label, s.rank FROM (
                  SELECT t0."id" AS id, t0."name" AS label, (CASE WHEN t0."name" ILIKE $1 THEN 2 ELSE 1 END)::float AS rank
                  FROM "workspace_fixture"."opportunity" t0 WHERE t0."deletedAt" IS NULL AND NOT (t0."createdAt" < $2) AND concat_ws(' ', t0."name") ILIKE $3) s
                WHERE true ORDER BY s.rank DESC, s.id LIMIT 6
-- params: ["acme%","2020-01-01T00:00:00.000Z","%acme%"]
