/**
 * The view's parts as Twenty's metadata API exposes them (current Twenty: packages/twenty-server/src/engine/
 * metadata-modules/{view,view-field,view-filter,view-filter-group,view-sort,view-group,view-field-group}),
 * described once so one store serves all of them.
 */

const FIELD_NOT_FOUND = "Field metadata not found"

export type ViewPart = "viewField" | "viewFilter" | "viewFilterGroup" | "viewSort" | "viewGroup" | "viewFieldGroup"
export type ViewEntity = "view" | ViewPart

export interface EntitySpec {
  readonly table: string
  /** As Twenty's messages name it ("View field not found"). */
  readonly label: string
  /** Columns a create may set (viewId and id are handled apart). */
  readonly create: ReadonlyArray<string>
  /** Columns an update may set. */
  readonly update: ReadonlyArray<string>
  /** jsonb columns (stored from their JSON text). */
  readonly json?: ReadonlyArray<string>
  /** Columns naming a field of the view's object, with Twenty's message when it is not one. */
  readonly objectFields?: Readonly<Record<string, string>>
  /** Columns naming a field of any object of the workspace. */
  readonly workspaceFields?: ReadonlyArray<string>
  /** Columns naming another part of the same view. */
  readonly siblings?: Readonly<Record<string, ViewPart>>
  readonly orderBy: string
}

export const ENTITIES: Record<ViewEntity, EntitySpec> = {
  view: {
    table: "view",
    label: "View",
    create: [
      "name",
      "objectMetadataId",
      "type",
      "key",
      "icon",
      "position",
      "isCompact",
      "shouldHideEmptyGroups",
      "kanbanColumnWidth",
      "openRecordIn",
      "kanbanAggregateOperation",
      "kanbanAggregateOperationFieldMetadataId",
      "anyFieldFilterValue",
      "calendarLayout",
      "calendarFieldMetadataId",
      "mainGroupByFieldMetadataId",
      "visibility"
    ],
    update: [
      "name",
      "type",
      "icon",
      "position",
      "isCompact",
      "openRecordIn",
      "kanbanAggregateOperation",
      "kanbanAggregateOperationFieldMetadataId",
      "anyFieldFilterValue",
      "calendarLayout",
      "calendarFieldMetadataId",
      "visibility",
      "mainGroupByFieldMetadataId",
      "shouldHideEmptyGroups",
      "kanbanColumnWidth"
    ],
    // Messages of Twenty's FlatViewValidatorService.
    objectFields: {
      kanbanAggregateOperationFieldMetadataId: "View kanban aggregate field metadata not found",
      calendarFieldMetadataId: FIELD_NOT_FOUND,
      mainGroupByFieldMetadataId: "Kanban main group by field metadata not found"
    },
    orderBy: `position, "createdAt", id`
  },
  viewField: {
    table: "viewField",
    label: "View field",
    create: ["fieldMetadataId", "isVisible", "size", "position", "aggregateOperation", "viewFieldGroupId"],
    update: ["isVisible", "size", "position", "aggregateOperation", "viewFieldGroupId"],
    objectFields: { fieldMetadataId: FIELD_NOT_FOUND },
    siblings: { viewFieldGroupId: "viewFieldGroup" },
    orderBy: `position, "createdAt", id`
  },
  viewFilter: {
    table: "viewFilter",
    label: "View filter",
    create: [
      "fieldMetadataId",
      "operand",
      "value",
      "viewFilterGroupId",
      "positionInViewFilterGroup",
      "subFieldName",
      "relationTargetFieldMetadataId"
    ],
    update: [
      "fieldMetadataId",
      "operand",
      "value",
      "viewFilterGroupId",
      "positionInViewFilterGroup",
      "subFieldName",
      "relationTargetFieldMetadataId"
    ],
    json: ["value"],
    objectFields: { fieldMetadataId: FIELD_NOT_FOUND },
    workspaceFields: ["relationTargetFieldMetadataId"],
    siblings: { viewFilterGroupId: "viewFilterGroup" },
    orderBy: `"createdAt", id`
  },
  viewFilterGroup: {
    table: "viewFilterGroup",
    label: "View filter group",
    create: ["parentViewFilterGroupId", "logicalOperator", "positionInViewFilterGroup"],
    update: ["parentViewFilterGroupId", "logicalOperator", "positionInViewFilterGroup"],
    siblings: { parentViewFilterGroupId: "viewFilterGroup" },
    orderBy: `"createdAt", id`
  },
  viewSort: {
    table: "viewSort",
    label: "View sort",
    create: ["fieldMetadataId", "direction", "subFieldName"],
    update: ["direction", "subFieldName"],
    objectFields: { fieldMetadataId: FIELD_NOT_FOUND },
    orderBy: `"createdAt", id`
  },
  viewGroup: {
    table: "viewGroup",
    label: "View group",
    create: ["isVisible", "fieldValue", "position"],
    update: ["fieldMetadataId", "isVisible", "fieldValue", "position"],
    objectFields: { fieldMetadataId: FIELD_NOT_FOUND },
    orderBy: `position, "createdAt", id`
  },
  viewFieldGroup: {
    table: "viewFieldGroup",
    label: "View field group",
    create: ["name", "position", "isVisible"],
    update: ["name", "position", "isVisible", "deletedAt"],
    orderBy: `position, "createdAt", id`
  }
}
