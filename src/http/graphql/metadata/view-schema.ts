/**
 * Twenty's saved views on `/metadata`, as current Twenty names them (the types of twenty-client-sdk's
 * metadata client: View, ViewField, ViewFilter, ViewFilterGroup, ViewSort, ViewGroup, ViewFieldGroup).
 * Twenty releases of late 2025 called them CoreView, CoreViewField, … with getCoreViews, createCoreView, …
 * (same inputs): those names are served too, derived from the current ones (ViewFieldGroup had no Core twin).
 */

const enums = /* GraphQL */ `
enum AggregateOperations { MIN MAX AVG SUM COUNT COUNT_UNIQUE_VALUES COUNT_EMPTY COUNT_NOT_EMPTY COUNT_TRUE COUNT_FALSE PERCENTAGE_EMPTY PERCENTAGE_NOT_EMPTY }
enum ViewType { TABLE KANBAN CALENDAR FIELDS_WIDGET TABLE_WIDGET }
enum ViewKey { INDEX }
enum ViewOpenRecordIn { SIDE_PANEL RECORD_PAGE }
enum ViewCalendarLayout { DAY WEEK MONTH }
enum ViewVisibility { WORKSPACE UNLISTED }
enum ViewFilterGroupLogicalOperator { AND OR NOT }
enum ViewFilterOperand { IS IS_NOT_NULL IS_NOT LESS_THAN_OR_EQUAL GREATER_THAN_OR_EQUAL IS_BEFORE IS_AFTER CONTAINS DOES_NOT_CONTAIN IS_EMPTY IS_NOT_EMPTY IS_RELATIVE IS_IN_PAST IS_IN_FUTURE IS_TODAY VECTOR_SEARCH }
enum ViewSortDirection { ASC DESC }
`

const objectTypes = /* GraphQL */ `
type View {
  id: UUID!
  name: String!
  objectMetadataId: UUID!
  type: ViewType!
  key: ViewKey
  icon: String!
  position: Float!
  isCompact: Boolean!
  isCustom: Boolean!
  openRecordIn: ViewOpenRecordIn!
  kanbanAggregateOperation: AggregateOperations
  kanbanAggregateOperationFieldMetadataId: UUID
  mainGroupByFieldMetadataId: UUID
  shouldHideEmptyGroups: Boolean!
  kanbanColumnWidth: Int
  calendarFieldMetadataId: UUID
  workspaceId: UUID!
  anyFieldFilterValue: String
  calendarLayout: ViewCalendarLayout
  createdAt: DateTime!
  updatedAt: DateTime!
  deletedAt: DateTime
  viewFields: [ViewField!]!
  viewFilters: [ViewFilter!]!
  viewFilterGroups: [ViewFilterGroup!]!
  viewSorts: [ViewSort!]!
  viewGroups: [ViewGroup!]!
  viewFieldGroups: [ViewFieldGroup!]!
  visibility: ViewVisibility!
  createdByUserWorkspaceId: UUID
  isActive: Boolean!
}

type ViewField {
  id: UUID!
  fieldMetadataId: UUID!
  isVisible: Boolean!
  size: Float!
  position: Float!
  aggregateOperation: AggregateOperations
  viewId: UUID!
  viewFieldGroupId: UUID
  workspaceId: UUID!
  createdAt: DateTime!
  updatedAt: DateTime!
  isActive: Boolean!
  deletedAt: DateTime
  isOverridden: Boolean @deprecated(reason: "isOverridden is deprecated")
}

type ViewFilter {
  id: UUID!
  fieldMetadataId: UUID!
  operand: ViewFilterOperand!
  value: JSON!
  viewFilterGroupId: UUID
  positionInViewFilterGroup: Float
  subFieldName: String
  relationTargetFieldMetadataId: UUID
  viewId: UUID!
  workspaceId: UUID!
  createdAt: DateTime!
  updatedAt: DateTime!
  deletedAt: DateTime
}

type ViewFilterGroup {
  id: UUID!
  parentViewFilterGroupId: UUID
  logicalOperator: ViewFilterGroupLogicalOperator!
  positionInViewFilterGroup: Float
  viewId: UUID!
  workspaceId: UUID!
  createdAt: DateTime!
  updatedAt: DateTime!
  deletedAt: DateTime
}

type ViewSort {
  id: UUID!
  fieldMetadataId: UUID!
  direction: ViewSortDirection!
  subFieldName: String
  viewId: UUID!
  workspaceId: UUID!
  createdAt: DateTime!
  updatedAt: DateTime!
  deletedAt: DateTime
}

type ViewGroup {
  id: UUID!
  isVisible: Boolean!
  fieldValue: String!
  position: Float!
  viewId: UUID!
  workspaceId: UUID!
  createdAt: DateTime!
  updatedAt: DateTime!
  deletedAt: DateTime
}

type ViewFieldGroup {
  id: UUID!
  name: String!
  position: Float!
  isVisible: Boolean!
  viewId: UUID!
  workspaceId: UUID!
  createdAt: DateTime!
  updatedAt: DateTime!
  isActive: Boolean!
  deletedAt: DateTime
  viewFields: [ViewField!]!
  isOverridden: Boolean! @deprecated(reason: "isOverridden is deprecated")
}
`

// Twenty's minimalMetadata (metadata-modules/minimal-metadata): the bootstrap payload of its front.
const minimalMetadata = /* GraphQL */ `
enum AllMetadataName {
  fieldMetadata objectMetadata view viewField viewFieldGroup viewGroup viewSort rowLevelPermissionPredicate
  rowLevelPermissionPredicateGroup viewFilterGroup index logicFunction viewFilter role roleTarget agent skill pageLayout
  pageLayoutWidget pageLayoutTab commandMenuItem navigationMenuItem rolePermissionFlag permissionFlag objectPermission
  fieldPermission frontComponent webhook applicationVariable connectionProvider searchFieldMetadata
}
type CollectionHash { collectionName: AllMetadataName! hash: String! }
type MinimalObjectMetadata {
  id: UUID!
  nameSingular: String!
  namePlural: String!
  labelSingular: String!
  labelPlural: String!
  icon: String
  color: String
  isActive: Boolean!
  isSystem: Boolean!
  isRemote: Boolean!
}
type MinimalView { id: UUID! type: ViewType! key: ViewKey objectMetadataId: UUID! }
type MinimalMetadata {
  objectMetadataItems: [MinimalObjectMetadata!]!
  views: [MinimalView!]!
  collectionHashes: [CollectionHash!]!
}
extend type Query { minimalMetadata: MinimalMetadata! }
`

const inputs = /* GraphQL */ `
input CreateViewInput {
  id: UUID
  name: String!
  objectMetadataId: UUID!
  type: ViewType = TABLE
  key: ViewKey
  icon: String!
  position: Float = 0
  isCompact: Boolean = false
  shouldHideEmptyGroups: Boolean = false
  kanbanColumnWidth: Int
  openRecordIn: ViewOpenRecordIn = SIDE_PANEL
  kanbanAggregateOperation: AggregateOperations
  kanbanAggregateOperationFieldMetadataId: UUID
  anyFieldFilterValue: String
  calendarLayout: ViewCalendarLayout
  calendarFieldMetadataId: UUID
  mainGroupByFieldMetadataId: UUID
  visibility: ViewVisibility
}

input UpdateViewInput {
  id: UUID
  name: String
  type: ViewType
  icon: String
  position: Float
  isCompact: Boolean
  openRecordIn: ViewOpenRecordIn
  kanbanAggregateOperation: AggregateOperations
  kanbanAggregateOperationFieldMetadataId: UUID
  anyFieldFilterValue: String
  calendarLayout: ViewCalendarLayout
  calendarFieldMetadataId: UUID
  visibility: ViewVisibility
  mainGroupByFieldMetadataId: UUID
  shouldHideEmptyGroups: Boolean
  kanbanColumnWidth: Int
}

input CreateViewFieldInput {
  id: UUID
  fieldMetadataId: UUID!
  viewId: UUID!
  isVisible: Boolean = true
  size: Float = 0
  position: Float = 0
  aggregateOperation: AggregateOperations
  viewFieldGroupId: UUID
}
input UpdateViewFieldInputUpdates { isVisible: Boolean size: Float position: Float aggregateOperation: AggregateOperations viewFieldGroupId: UUID }
input UpdateViewFieldInput { id: UUID! update: UpdateViewFieldInputUpdates! }
input DeleteViewFieldInput { id: UUID! }
input DestroyViewFieldInput { id: UUID! }

input CreateViewFilterInput {
  id: UUID
  fieldMetadataId: UUID!
  operand: ViewFilterOperand
  value: JSON!
  viewFilterGroupId: UUID
  positionInViewFilterGroup: Float
  subFieldName: String
  relationTargetFieldMetadataId: UUID
  viewId: UUID!
}
input UpdateViewFilterInputUpdates {
  fieldMetadataId: UUID
  operand: ViewFilterOperand
  value: JSON
  viewFilterGroupId: UUID
  positionInViewFilterGroup: Float
  subFieldName: String
  relationTargetFieldMetadataId: UUID
}
input UpdateViewFilterInput { id: UUID! update: UpdateViewFilterInputUpdates! }
input DeleteViewFilterInput { id: UUID! }
input DestroyViewFilterInput { id: UUID! }

input CreateViewFilterGroupInput {
  id: UUID
  parentViewFilterGroupId: UUID
  logicalOperator: ViewFilterGroupLogicalOperator = AND
  positionInViewFilterGroup: Float
  viewId: UUID!
}
input UpdateViewFilterGroupInput {
  id: UUID
  parentViewFilterGroupId: UUID
  logicalOperator: ViewFilterGroupLogicalOperator = AND
  positionInViewFilterGroup: Float
  viewId: UUID
}

input CreateViewSortInput { id: UUID fieldMetadataId: UUID! direction: ViewSortDirection = ASC subFieldName: String viewId: UUID! }
input UpdateViewSortInputUpdates { direction: ViewSortDirection subFieldName: String }
input UpdateViewSortInput { id: UUID! update: UpdateViewSortInputUpdates! }
input DeleteViewSortInput { id: UUID! }
input DestroyViewSortInput { id: UUID! }

input CreateViewGroupInput { id: UUID isVisible: Boolean = true fieldValue: String! position: Float = 0 viewId: UUID! }
input UpdateViewGroupInputUpdates { fieldMetadataId: UUID isVisible: Boolean fieldValue: String position: Float }
input UpdateViewGroupInput { id: UUID! update: UpdateViewGroupInputUpdates! }
input DeleteViewGroupInput { id: UUID! }
input DestroyViewGroupInput { id: UUID! }

input CreateViewFieldGroupInput { id: UUID name: String! viewId: UUID! position: Float = 0 isVisible: Boolean = true }
input UpdateViewFieldGroupInputUpdates { name: String position: Float isVisible: Boolean deletedAt: String }
input UpdateViewFieldGroupInput { id: UUID! update: UpdateViewFieldGroupInputUpdates! }
input DeleteViewFieldGroupInput { id: UUID! }
input DestroyViewFieldGroupInput { id: UUID! }
`

const queries = /* GraphQL */ `
  getViews(objectMetadataId: String, viewTypes: [ViewType!]): [View!]!
  getView(id: String!): View
  getViewFields(viewId: String!): [ViewField!]!
  getViewField(id: String!): ViewField
  getViewFilters(viewId: String): [ViewFilter!]!
  getViewFilter(id: String!): ViewFilter
  getViewFilterGroups(viewId: String): [ViewFilterGroup!]!
  getViewFilterGroup(id: String!): ViewFilterGroup
  getViewSorts(viewId: String): [ViewSort!]!
  getViewSort(id: String!): ViewSort
  getViewGroups(viewId: String): [ViewGroup!]!
  getViewGroup(id: String!): ViewGroup
  getViewFieldGroups(viewId: String!): [ViewFieldGroup!]!
  getViewFieldGroup(id: String!): ViewFieldGroup
`

const mutations = /* GraphQL */ `
  createView(input: CreateViewInput!): View!
  updateView(id: String!, input: UpdateViewInput!): View!
  deleteView(id: String!): Boolean!
  destroyView(id: String!): Boolean!
  createViewField(input: CreateViewFieldInput!): ViewField!
  createManyViewFields(inputs: [CreateViewFieldInput!]!): [ViewField!]!
  updateViewField(input: UpdateViewFieldInput!): ViewField!
  deleteViewField(input: DeleteViewFieldInput!): ViewField!
  destroyViewField(input: DestroyViewFieldInput!): ViewField!
  createViewFilter(input: CreateViewFilterInput!): ViewFilter!
  updateViewFilter(input: UpdateViewFilterInput!): ViewFilter!
  deleteViewFilter(input: DeleteViewFilterInput!): ViewFilter!
  destroyViewFilter(input: DestroyViewFilterInput!): ViewFilter!
  createViewFilterGroup(input: CreateViewFilterGroupInput!): ViewFilterGroup!
  updateViewFilterGroup(id: String!, input: UpdateViewFilterGroupInput!): ViewFilterGroup!
  deleteViewFilterGroup(id: String!): Boolean!
  destroyViewFilterGroup(id: String!): Boolean!
  createViewSort(input: CreateViewSortInput!): ViewSort!
  updateViewSort(input: UpdateViewSortInput!): ViewSort!
  deleteViewSort(input: DeleteViewSortInput!): Boolean!
  destroyViewSort(input: DestroyViewSortInput!): Boolean!
  createViewGroup(input: CreateViewGroupInput!): ViewGroup!
  createManyViewGroups(inputs: [CreateViewGroupInput!]!): [ViewGroup!]!
  updateViewGroup(input: UpdateViewGroupInput!): ViewGroup!
  updateManyViewGroups(inputs: [UpdateViewGroupInput!]!): [ViewGroup!]!
  deleteViewGroup(input: DeleteViewGroupInput!): ViewGroup!
  destroyViewGroup(input: DestroyViewGroupInput!): ViewGroup!
  createViewFieldGroup(input: CreateViewFieldGroupInput!): ViewFieldGroup!
  createManyViewFieldGroups(inputs: [CreateViewFieldGroupInput!]!): [ViewFieldGroup!]!
  updateViewFieldGroup(input: UpdateViewFieldGroupInput!): ViewFieldGroup!
  deleteViewFieldGroup(input: DeleteViewFieldGroupInput!): ViewFieldGroup!
  destroyViewFieldGroup(input: DestroyViewFieldGroupInput!): ViewFieldGroup!
`

/** The Core-era name of a view type: View → CoreView, ViewField → CoreViewField, … (inputs keep their names). */
export const coreTypeNames = (sdl: string) => sdl.replace(/\bView(FilterGroup|Field|Filter|Sort|Group)?\b/g, "CoreView$1")

/** The Core-era operations: getViews → getCoreViews, createManyViewFields → createManyCoreViewFields, … */
const coreOperations = (operations: string) =>
  coreTypeNames(
    operations.split("\n").filter((line) => !line.includes("FieldGroup")).join("\n")
      .replace(/^(\s*)(get|createMany|create|updateMany|update|delete|destroy)View/gm, "$1$2CoreView")
  )

export const viewTypeDefs = [
  enums,
  objectTypes,
  // Some Core-era fronts still read CoreViewGroup.fieldMetadataId (the grouping field, now on the view).
  coreTypeNames(objectTypes.replace(/type ViewFieldGroup \{[^}]*\}/, ""))
    .replace("type CoreViewGroup {", "type CoreViewGroup {\n  fieldMetadataId: UUID"),
  inputs,
  minimalMetadata,
  `extend type Query {${queries}${coreOperations(queries)}}`,
  `extend type Mutation {${mutations}${coreOperations(mutations)}}`
].join("\n")
