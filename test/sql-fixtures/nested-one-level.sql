SELECT t0."id", coalesce(t0."nameFirstName", ''), coalesce(t0."nameLastName", ''), coalesce(t0."jobTitle", ''), t0."companyId", (SELECT json_build_object('id', t2."id", 'name', coalesce(t2."name", ''), 'annualRecurringRevenue', json_build_object('amountMicros', t2."annualRecurringRevenueAmountMicros", 'currencyCode', t2."annualRecurringRevenueCurrencyCode")) FROM "workspace_fixture"."company" t2
        WHERE t2."id" = t0."companyId" AND t2."deletedAt" IS NULL)
            FROM "workspace_fixture"."person" t0 WHERE t0."deletedAt" IS NULL AND EXISTS (SELECT 1 FROM "workspace_fixture"."company" t1 WHERE t1."id" = t0."companyId" AND t1."deletedAt" IS NULL AND t1."name" = $1) ORDER BY t0."id" ASC NULLS LAST LIMIT 21
-- params: ["Acme"]
