import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { AuditKind } from "../../../domain/audit.js"
import { fieldChange, objectChange } from "../../../services/audit/metadata-changes.js"
import { type AuditAbout, auditAfter } from "../../../services/audit/outbox.js"
import type { FieldMetadata, ObjectMetadata, WorkspaceMetadata } from "../../../domain/metadata.js"
import { Metadata } from "../../../services/metadata/index.js"
import type { Workspaces } from "../../../services/workspace/index.js"
import { NotFound } from "../../../domain/errors.js"
import { toGraphQLError } from "../../errors.js"
import type { GraphQLContext } from "../yoga.js"
import { Permissions } from "../../../services/permissions/index.js"
import { workspaceOf } from "./auth-resolvers.js"
import { applyFilter, connection } from "./connection.js"

/** What these resolvers run: metadata, and the role check of requireSettingsPermission. */
export type DataModelServices = Metadata | Workspaces | Permissions | SqlClient.SqlClient

type Context = GraphQLContext<DataModelServices>
type Args = Record<string, any>

const metadataByRequest = new WeakMap<object, Promise<WorkspaceMetadata>>()

/** The caller's workspace metadata, loaded at most once per request. */
export const metadataOf = (ctx: Context): Promise<WorkspaceMetadata> => {
  let pending = metadataByRequest.get(ctx)
  if (!pending) {
    pending = workspaceOf(ctx).then((auth) => ctx.run(Effect.flatMap(Metadata, (m) => m.get(auth.workspace.id))))
    metadataByRequest.set(ctx, pending)
  }
  return pending
}

/** Runs a data-model change as the caller, who needs the DATA_MODEL flag (reads stay open to every member), and audits it. */
const change = async <A>(
  ctx: Context,
  kind: AuditKind,
  about: (result: A) => AuditAbout,
  run: (metadata: typeof Metadata.Service, workspaceId: string) => Effect.Effect<A, any, never>
) => {
  const auth = await workspaceOf(ctx)
  return ctx.run(Effect.gen(function*() {
    yield* Effect.flatMap(Permissions, (p) => p.requireFlag(auth, "DATA_MODEL"))
    return yield* Effect.tap(run(yield* Metadata, auth.workspace.id), auditAfter(auth, kind, about))
  }))
}

const allFields = (metadata: WorkspaceMetadata) => metadata.objects.flatMap((o) => o.fields)

const objectById = async (ctx: Context, id: string) => {
  const object = (await metadataOf(ctx)).objects.find((o) => o.id === id)
  return object ?? null
}

export const dataModelResolvers = {
  // Fields of Twenty's newest schema that Score does not model answer null (or the id), so clients that
  // select every scalar field still validate.
  Object: {
    universalIdentifier: (o: ObjectMetadata) => o.id,
    dataSourceId: () => null,
    isUIEditable: (o: ObjectMetadata) => !o.isUIReadOnly,
    isUICreatable: (o: ObjectMetadata) => !o.isUIReadOnly && !o.isSystem,
    fieldsList: (o: ObjectMetadata) => o.fields,
    fields: (o: ObjectMetadata, args: Args) =>
      connection(o.fields.filter((f) => applyFilter(f, args.filter)), args.paging)
  },
  Field: {
    universalIdentifier: (f: FieldMetadata) => f.id,
    isSearchable: () => false,
    isAuditLogged: (f: FieldMetadata) => !f.isSystem,
    isUIEditable: (f: FieldMetadata) => !f.isUIReadOnly,
    object: (f: FieldMetadata, _: Args, ctx: Context) => objectById(ctx, f.objectMetadataId),
    relation: async (f: FieldMetadata, _: Args, ctx: Context) => {
      if (!f.relationType || !f.relationTargetObjectMetadataId || !f.relationTargetFieldMetadataId) return null
      const metadata = await metadataOf(ctx)
      const target = metadata.objects.find((o) => o.id === f.relationTargetObjectMetadataId)
      const targetField = target?.fields.find((t) => t.id === f.relationTargetFieldMetadataId)
      const source = metadata.objects.find((o) => o.id === f.objectMetadataId)
      if (!target || !targetField || !source) return null
      return {
        type: f.relationType,
        sourceObjectMetadata: source,
        targetObjectMetadata: target,
        sourceFieldMetadata: f,
        targetFieldMetadata: targetField
      }
    }
  },
  Query: {
    objects: async (_: unknown, args: Args, ctx: Context) =>
      connection((await metadataOf(ctx)).objects.filter((o) => applyFilter(o, args.filter)), args.paging),
    object: async (_: unknown, args: Args, ctx: Context) => {
      const object = (await metadataOf(ctx)).objects.find((o) => o.id === args.id)
      if (!object) throw toGraphQLError(new NotFound({ message: "Object metadata not found" }))
      return object
    },
    fields: async (_: unknown, args: Args, ctx: Context) =>
      connection(allFields(await metadataOf(ctx)).filter((f) => applyFilter(f, args.filter)), args.paging),
    field: async (_: unknown, args: Args, ctx: Context) => {
      const field = allFields(await metadataOf(ctx)).find((f) => f.id === args.id)
      if (!field) throw toGraphQLError(new NotFound({ message: "Field metadata not found" }))
      return field
    }
  },
  Mutation: {
    createOneObject: (_: unknown, args: Args, ctx: Context) =>
      change(ctx, "object.created", objectChange, (m, ws) => m.createObject(ws, args.input.object)),
    updateOneObject: (_: unknown, args: Args, ctx: Context) =>
      change(ctx, "object.updated", objectChange, (m, ws) => m.updateObject(ws, args.input.id, args.input.update)),
    deleteOneObject: (_: unknown, args: Args, ctx: Context) =>
      change(ctx, "object.deleted", objectChange, (m, ws) => m.deleteObject(ws, args.input.id)),
    createOneField: (_: unknown, args: Args, ctx: Context) =>
      change(ctx, "field.created", fieldChange, (m, ws) => m.createField(ws, args.input.field)),
    updateOneField: (_: unknown, args: Args, ctx: Context) =>
      change(ctx, "field.updated", fieldChange, (m, ws) => m.updateField(ws, args.input.id, args.input.update)),
    deleteOneField: (_: unknown, args: Args, ctx: Context) =>
      change(ctx, "field.deleted", fieldChange, (m, ws) => m.deleteField(ws, args.input.id))
  }
}
