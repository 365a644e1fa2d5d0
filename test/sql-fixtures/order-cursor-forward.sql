SELECT t0."id", coalesce(t0."nameFirstName", ''), coalesce(t0."nameLastName", ''), coalesce(t0."emailsPrimaryEmail", ''), coalesce(t0."emailsAdditionalEmails", '[]'::jsonb), coalesce(t0."jobTitle", ''), t0."companyId", t0."nameFirstName"
            FROM "workspace_fixture"."person" t0 WHERE t0."deletedAt" IS NULL AND (((t0."nameFirstName" > $1 OR t0."nameFirstName" IS NULL)) OR (t0."nameFirstName" = $2 AND (t0."id" > $3 OR t0."id" IS NULL))) ORDER BY t0."nameFirstName" ASC NULLS LAST, t0."id" ASC NULLS LAST LIMIT 3
-- params: ["Ada","Ada","00000000-0000-4000-8000-000000000001"]
