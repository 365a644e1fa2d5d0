WITH g AS (
      SELECT t0."stage" AS d0, to_char(date_trunc('month', (t0."createdAt" AT TIME ZONE $1)), 'YYYY-MM-DD') AS d1, count(*)::int AS n, (sum(t0."amountAmountMicros"))::text AS a0, row_number() OVER (ORDER BY count(*) DESC NULLS LAST, t0."stage" ASC NULLS LAST, to_char(date_trunc('month', (t0."createdAt" AT TIME ZONE $1)), 'YYYY-MM-DD') ASC NULLS LAST) AS o
      FROM "workspace_fixture"."opportunity" t0
      WHERE t0."deletedAt" IS NULL AND t0."amountAmountMicros" >= $2
      GROUP BY t0."stage", to_char(date_trunc('month', (t0."createdAt" AT TIME ZONE $1)), 'YYYY-MM-DD')
      ORDER BY count(*) DESC NULLS LAST, t0."stage" ASC NULLS LAST, to_char(date_trunc('month', (t0."createdAt" AT TIME ZONE $1)), 'YYYY-MM-DD') ASC NULLS LAST LIMIT 20)
    SELECT json_build_array(g.d0, g.d1) AS d, g.n,
      json_build_object('sumAmount', g.a0) AS a, (SELECT coalesce(json_agg(json_build_object('r', x.r, 'c', x.c) ORDER BY x.n), '[]'::json) FROM (
        SELECT json_build_object('id', t1."id", 'name', coalesce(t1."name", ''), 'amount', json_build_object('amountMicros', t1."amountAmountMicros", 'currencyCode', t1."amountCurrencyCode")) AS r, json_build_array(t1."name", t1."id") AS c, row_number() OVER (ORDER BY t1."name" ASC NULLS LAST, t1."id" ASC NULLS LAST) AS n
        FROM "workspace_fixture"."opportunity" t1
        WHERE t1."deletedAt" IS NULL AND t1."amountAmountMicros" >= $3 AND (t1."stage") IS NOT DISTINCT FROM g.d0 AND (to_char(date_trunc('month', (t1."createdAt" AT TIME ZONE $1)), 'YYYY-MM-DD')) IS NOT DISTINCT FROM g.d1
        ORDER BY t1."name" ASC NULLS LAST, t1."id" ASC NULLS LAST OFFSET 0 LIMIT 10) x) AS r
    FROM g ORDER BY g.o
-- params: ["Europe/Paris",0,0]
