/** Small builders for the relation fields of Twenty's standard objects (data only). */
import type { OnDeleteAction } from "./field-types.js"
import type { StandardField } from "./standard-objects.js"

type Extra = Partial<Omit<StandardField, "name" | "label" | "type" | "relation">>

export const oneToMany = (name: string, label: string, target: string, inverse: string, extra: Extra = {}): StandardField => ({
  name,
  label,
  type: "RELATION",
  ...extra,
  relation: { type: "ONE_TO_MANY", target, inverse }
})

export const manyToOne = (
  name: string,
  label: string,
  target: string,
  inverse: string,
  onDelete: OnDeleteAction,
  extra: Extra = {}
): StandardField => ({
  name,
  label,
  type: "RELATION",
  isNullable: true,
  ...extra,
  relation: { type: "MANY_TO_ONE", target, inverse, onDelete }
})

export const morphTarget = (
  morphId: string,
  name: string,
  label: string,
  target: string,
  inverse: string,
  onDelete: OnDeleteAction,
  extra: Extra = {}
): StandardField => ({
  name,
  label,
  type: "MORPH_RELATION",
  isNullable: true,
  isUIReadOnly: true,
  ...extra,
  relation: { type: "MANY_TO_ONE", target, inverse, onDelete, morphId }
})
