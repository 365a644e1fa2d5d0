import type { AggregateKind } from "../../../../services/records/types.js"

/**
 * What a field of the generated schema stands for, stored in its `extensions.score`. The selection
 * builder reads it to turn a GraphQL selection into Records' Selection without consulting metadata again.
 */
export type ScoreFieldInfo =
  /** A scalar, enum or composite field, or a MANY_TO_ONE join column: an entry of Selection.fields. */
  | { readonly kind: "column"; readonly name: string }
  | { readonly kind: "relation"; readonly field: string; readonly direction: "MANY_TO_ONE" | "ONE_TO_MANY" }
  | { readonly kind: "edges" }
  | { readonly kind: "node" }
  | { readonly kind: "totalCount" }
  | { readonly kind: "aggregate"; readonly aggregate: AggregateKind; readonly field: string; readonly subField?: string }

declare module "graphql" {
  interface GraphQLFieldExtensions<_TSource, _TContext, _TArgs> {
    readonly score?: ScoreFieldInfo
  }
}
