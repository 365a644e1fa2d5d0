import type { SqlError } from "@effect/sql"
import { Effect } from "effect"
import type { UserError } from "../../../domain/errors.js"
import type { WorkspaceCaller } from "../../../services/auth/permissions.js"
import type { Permissions } from "../../../services/permissions/index.js"
import { type PartRow, type ViewPart, type ViewRow, Views, type ViewsShape } from "../../../services/views/index.js"
import type { GraphQLContext } from "../yoga.js"
import { workspaceOf } from "./auth-resolvers.js"

/** What these resolvers run. Reads need a workspace caller; writes follow Twenty's view permission guards. */
export type ViewServices = Views | Permissions

type Context = GraphQLContext<ViewServices>
type Args = Record<string, any>

/** Per request: the workspace's parts of each kind, grouped by view (see partsByView). */
const loaded = new WeakMap<object, Map<ViewPart, Promise<Map<string, Array<PartRow>>>>>()

const withViews = async <A>(
  ctx: Context,
  run: (views: ViewsShape, caller: WorkspaceCaller) => Effect.Effect<A, UserError | SqlError.SqlError, ViewServices>
) => {
  const caller = await workspaceOf(ctx)
  const result = await ctx.run(Effect.flatMap(Views, (views) => run(views, caller)))
  // A root field may have written: parts loaded for an earlier one are stale.
  loaded.delete(ctx)
  return result
}

const list = (part: ViewPart) => (_: unknown, args: Args, ctx: Context) =>
  withViews(ctx, (v, c) => v.listParts(c.workspace.id, part, args.viewId ?? null))
const one = (part: ViewPart) => (_: unknown, args: Args, ctx: Context) => withViews(ctx, (v, c) => v.getPart(c.workspace.id, part, args.id))
const create = (part: ViewPart) => (_: unknown, args: Args, ctx: Context) =>
  withViews(ctx, (v, c) => Effect.map(v.createParts(c, part, [args.input]), (rows) => rows[0]!))
const createMany = (part: ViewPart) => (_: unknown, args: Args, ctx: Context) => withViews(ctx, (v, c) => v.createParts(c, part, args.inputs))
const update = (part: ViewPart) => (_: unknown, args: Args, ctx: Context) =>
  withViews(ctx, (v, c) => v.updatePart(c, part, args.input.id, args.input.update))
const remove = (part: ViewPart, how: "deletePart" | "destroyPart") => (_: unknown, args: Args, ctx: Context) =>
  withViews(ctx, (v, c) => v[how](c, part, args.input?.id ?? args.id))
const removeReturningTrue = (part: ViewPart, how: "deletePart" | "destroyPart") => (_: unknown, args: Args, ctx: Context) =>
  withViews(ctx, (v, c) => Effect.as(v[how](c, part, args.input?.id ?? args.id), true))

/**
 * The workspace's parts of one kind, grouped by view, loaded once per request: getViews with its nested
 * viewFields, viewFilters, … costs one query per kind, not one per view and kind.
 */
const partsByView = (ctx: Context, workspaceId: string, part: ViewPart) => {
  let byKind = loaded.get(ctx)
  if (!byKind) loaded.set(ctx, byKind = new Map())
  let parts = byKind.get(part)
  if (!parts) {
    parts = ctx.run(Effect.flatMap(Views, (v) => v.listParts(workspaceId, part, null))).then((rows) => {
      const grouped = new Map<string, Array<PartRow>>()
      for (const row of rows) grouped.set(row.viewId, [...(grouped.get(row.viewId) ?? []), row])
      return grouped
    })
    byKind.set(part, parts)
  }
  return parts
}

/** A view's parts, for the nested fields of View (and ViewFieldGroup.viewFields). */
const partsOf = (part: ViewPart) => async (view: ViewRow, _: Args, ctx: Context) =>
  (await partsByView(ctx, view.workspaceId, part)).get(view.id) ?? []

/** The same resolvers under the Core-era names (getCoreViews, createCoreView, …; see view-schema.ts). */
const withCoreNames = <A>(resolvers: Record<string, A>): Record<string, A> => ({
  ...resolvers,
  ...Object.fromEntries(
    Object.entries(resolvers)
      .filter(([name]) => !name.includes("FieldGroup"))
      .map(([name, resolver]) => [name.replace(/^(get|createMany|create|updateMany|update|delete|destroy)View/, "$1CoreView"), resolver])
  )
})

const viewFieldsOf = {
  viewFields: partsOf("viewField"),
  viewFilters: partsOf("viewFilter"),
  viewFilterGroups: partsOf("viewFilterGroup"),
  viewSorts: partsOf("viewSort"),
  viewGroups: partsOf("viewGroup"),
  viewFieldGroups: partsOf("viewFieldGroup")
}

export const viewResolvers = {
  View: viewFieldsOf,
  CoreView: viewFieldsOf,
  CoreViewField: { isOverridden: () => false },
  ViewField: { isOverridden: () => false },
  ViewFieldGroup: {
    isOverridden: () => false,
    viewFields: async (group: PartRow & { workspaceId: string }, _: Args, ctx: Context) =>
      ((await partsByView(ctx, group.workspaceId, "viewField")).get(group.viewId) ?? [])
        .filter((field) => field.viewFieldGroupId === group.id)
  },
  Query: withCoreNames({
    minimalMetadata: (_: unknown, _args: Args, ctx: Context) => withViews(ctx, (v, c) => v.minimalMetadata(c)),
    getViews: (_: unknown, args: Args, ctx: Context) =>
      withViews(ctx, (v, c) => v.listViews(c, { objectMetadataId: args.objectMetadataId, viewTypes: args.viewTypes })),
    getView: (_: unknown, args: Args, ctx: Context) => withViews(ctx, (v, c) => v.getView(c.workspace.id, args.id)),
    getViewFields: list("viewField"),
    getViewField: one("viewField"),
    getViewFilters: list("viewFilter"),
    getViewFilter: one("viewFilter"),
    getViewFilterGroups: list("viewFilterGroup"),
    getViewFilterGroup: one("viewFilterGroup"),
    getViewSorts: list("viewSort"),
    getViewSort: one("viewSort"),
    getViewGroups: list("viewGroup"),
    getViewGroup: one("viewGroup"),
    getViewFieldGroups: list("viewFieldGroup"),
    getViewFieldGroup: one("viewFieldGroup")
  }),
  Mutation: withCoreNames({
    createView: (_: unknown, args: Args, ctx: Context) => withViews(ctx, (v, c) => v.createView(c, args.input)),
    updateView: (_: unknown, args: Args, ctx: Context) => withViews(ctx, (v, c) => v.updateView(c, args.id, args.input)),
    deleteView: (_: unknown, args: Args, ctx: Context) => withViews(ctx, (v, c) => Effect.as(v.deleteView(c, args.id), true)),
    destroyView: (_: unknown, args: Args, ctx: Context) => withViews(ctx, (v, c) => Effect.as(v.destroyView(c, args.id), true)),
    createViewField: create("viewField"),
    createManyViewFields: createMany("viewField"),
    updateViewField: update("viewField"),
    deleteViewField: remove("viewField", "deletePart"),
    destroyViewField: remove("viewField", "destroyPart"),
    createViewFilter: create("viewFilter"),
    updateViewFilter: update("viewFilter"),
    deleteViewFilter: remove("viewFilter", "deletePart"),
    destroyViewFilter: remove("viewFilter", "destroyPart"),
    createViewFilterGroup: create("viewFilterGroup"),
    updateViewFilterGroup: (_: unknown, args: Args, ctx: Context) =>
      withViews(ctx, (v, c) => v.updatePart(c, "viewFilterGroup", args.id, args.input)),
    deleteViewFilterGroup: removeReturningTrue("viewFilterGroup", "deletePart"),
    destroyViewFilterGroup: removeReturningTrue("viewFilterGroup", "destroyPart"),
    createViewSort: create("viewSort"),
    updateViewSort: update("viewSort"),
    deleteViewSort: removeReturningTrue("viewSort", "deletePart"),
    destroyViewSort: removeReturningTrue("viewSort", "destroyPart"),
    createViewGroup: create("viewGroup"),
    createManyViewGroups: createMany("viewGroup"),
    updateViewGroup: update("viewGroup"),
    updateManyViewGroups: (_: unknown, args: Args, ctx: Context) =>
      withViews(ctx, (v, c) => v.updateParts(c, "viewGroup", args.inputs)),
    deleteViewGroup: remove("viewGroup", "deletePart"),
    destroyViewGroup: remove("viewGroup", "destroyPart"),
    createViewFieldGroup: create("viewFieldGroup"),
    createManyViewFieldGroups: createMany("viewFieldGroup"),
    updateViewFieldGroup: update("viewFieldGroup"),
    deleteViewFieldGroup: remove("viewFieldGroup", "deletePart"),
    destroyViewFieldGroup: remove("viewFieldGroup", "destroyPart")
  })
}
