SELECT t0."id", coalesce(t0."name", ''), t0."employees", (SELECT json_build_object('rows', coalesce(json_agg(json_build_object('r', x.r, 'c', x.c) ORDER BY x.n), '[]'::json), 'totalCount', (SELECT count(*) FROM "workspace_fixture"."opportunity" t1 WHERE t1."companyId" = t0."id" AND t1."deletedAt" IS NULL))
    FROM (SELECT json_build_array(t1."id", coalesce(t1."name", ''), t1."amountAmountMicros", t1."amountCurrencyCode", t1."stage", (SELECT json_build_object('id', t2."id", 'name', json_build_object('firstName', coalesce(t2."nameFirstName", ''), 'lastName', coalesce(t2."nameLastName", '')), 'emails', json_build_object('primaryEmail', coalesce(t2."emailsPrimaryEmail", ''), 'additionalEmails', coalesce(t2."emailsAdditionalEmails", '[]'::jsonb))) FROM "workspace_fixture"."person" t2
        WHERE t2."id" = t1."pointOfContactId" AND t2."deletedAt" IS NULL)) AS r, json_build_array(t1."amountAmountMicros", t1."id") AS c,
      row_number() OVER (ORDER BY t1."amountAmountMicros" DESC NULLS LAST, t1."id" ASC NULLS LAST) AS n
    FROM "workspace_fixture"."opportunity" t1 WHERE t1."companyId" = t0."id" AND t1."deletedAt" IS NULL ORDER BY t1."amountAmountMicros" DESC NULLS LAST, t1."id" ASC NULLS LAST LIMIT 3) x)
            FROM "workspace_fixture"."company" t0 WHERE t0."deletedAt" IS NULL ORDER BY t0."id" ASC NULLS LAST LIMIT 6
-- params: []
