/**
 * What a built /graphql schema and a workspace's metadata retain in the heap, measured with Bun's heap
 * statistics: the figures behind schema/size.ts and estimatedMetadataBytes (services/metadata/read.ts).
 *
 *   bun bench/schema-size.ts
 *
 * Builds 8 copies of the schema of Twenty's standard model and of its first k objects, and loads 8
 * workspaces' metadata, and prints the heap each copy adds beside the estimate.
 */
import { Effect } from "effect"
import { heapStats } from "bun:jsc"
import { assertValidSchema } from "graphql"
import { buildWorkspaceSchema } from "../src/http/graphql/data/schema/index.js"
import { estimatedSchemaBytes } from "../src/http/graphql/data/schema/size.js"
import { Auth } from "../src/services/auth/index.js"
import { Metadata } from "../src/services/metadata/index.js"
import { estimatedMetadataBytes } from "../src/services/metadata/read.js"
import { startTestApp } from "../test/support/app.js"

const COPIES = 8
const KiB = (bytes: number) => Math.round(bytes / 1024)
const heap = () => {
  Bun.gc(true)
  return heapStats().heapSize
}

const app = await startTestApp({ env: { DATABASE_POOL_SIZE: "2" } })
try {
  const ids = await app.run(Effect.gen(function*() {
    const auth = yield* Auth
    const { user } = yield* auth.signUp({ email: `size.${crypto.randomUUID().slice(0, 8)}@example.com`, password: "correct horse battery", isEmailVerified: true })
    const made: Array<string> = []
    for (let i = 0; i < COPIES; i++) made.push((yield* auth.signUpInNewWorkspace(user, `Size ${i}`)).workspace.id)
    return made
  }))
  const before = heap()
  const metadatas = []
  for (const id of ids) metadatas.push(await app.run(Effect.flatMap(Metadata, (m) => m.get(id))))
  const model = metadatas[0]!
  console.log(`metadata: ${KiB((heap() - before) / COPIES)} KiB a workspace (estimate ${KiB(estimatedMetadataBytes(model))} KiB)`)
  for (let k = 2; k <= model.objects.length; k += 2) {
    const subset = { ...model, objects: model.objects.slice(0, k) }
    const fields = subset.objects.reduce((n, o) => n + o.fields.length, 0)
    const start = heap()
    const kept = Array.from({ length: COPIES }, () => {
      const { schema } = buildWorkspaceSchema(subset)
      assertValidSchema(schema)
      return schema
    })
    const measured = KiB((heap() - start) / kept.length)
    console.log(`schema of ${k} objects, ${fields} fields: ${measured} KiB (estimate ${KiB(estimatedSchemaBytes(subset))} KiB)`)
  }
} finally {
  await app.close()
}
