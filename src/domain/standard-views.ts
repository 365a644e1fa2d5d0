/**
 * Twenty's standard views, as plain data: what a new workspace gets for the standard objects.
 *
 * Source: twentyhq/twenty, packages/twenty-server/src/engine/workspace-manager/twenty-standard-application/
 * utils/{view/compute-standard-*-views.util.ts, view-field/compute-standard-*-view-fields.util.ts}.
 * View groups and filters: utils/{view-group,view-filter}/compute-standard-*-view-{groups,filters}.util.ts.
 * Index views are named "All {objectLabelPlural}" (OBJECT_LABEL_PLURAL_PLACEHOLDER); the name is resolved
 * with the object's labelPlural when read, as Twenty's view `name` resolver does.
 * Record-page FIELDS_WIDGET views are left out: they belong to page layouts, which Score does not serve.
 */

export const OBJECT_LABEL_PLURAL_PLACEHOLDER = "{objectLabelPlural}"

export const AGGREGATE_OPERATIONS = [
  "MIN",
  "MAX",
  "AVG",
  "SUM",
  "COUNT",
  "COUNT_UNIQUE_VALUES",
  "COUNT_EMPTY",
  "COUNT_NOT_EMPTY",
  "COUNT_TRUE",
  "COUNT_FALSE",
  "PERCENTAGE_EMPTY",
  "PERCENTAGE_NOT_EMPTY"
] as const
export type AggregateOperation = typeof AGGREGATE_OPERATIONS[number]

export interface StandardViewField {
  readonly field: string
  readonly position: number
  readonly size: number
  readonly isVisible?: boolean
  readonly aggregateOperation?: AggregateOperation
}

export interface StandardView {
  /** nameSingular of the object. */
  readonly object: string
  readonly name: string
  readonly type: "TABLE" | "KANBAN"
  readonly key: "INDEX" | null
  readonly position: number
  readonly icon: string
  readonly fields: ReadonlyArray<StandardViewField>
  /** The field grouping the records (a kanban's columns, a table's groups), and its groups' values in order. */
  readonly mainGroupByField?: string
  readonly groups?: ReadonlyArray<string>
  /** Filters; `value` is the JSON text Twenty stores (its front parses it). */
  readonly filters?: ReadonlyArray<{ readonly field: string; readonly operand: string; readonly value: string }>
  readonly kanbanAggregateOperation?: AggregateOperation
  readonly kanbanAggregateOperationField?: string
}

const ALL = `All ${OBJECT_LABEL_PLURAL_PLACEHOLDER}`

const indexView = (object: string, fields: ReadonlyArray<StandardViewField>): StandardView => ({
  object,
  name: ALL,
  type: "TABLE",
  key: "INDEX",
  position: 0,
  icon: "IconList",
  fields
})

const f = (field: string, position: number, size: number, aggregateOperation?: AggregateOperation): StandardViewField =>
  aggregateOperation ? { field, position, size, aggregateOperation } : { field, position, size }

const opportunityCard = [
  f("name", 0, 150),
  f("amount", 1, 150),
  f("createdBy", 2, 150),
  f("closeDate", 3, 150),
  f("company", 4, 150),
  f("pointOfContact", 5, 150)
]

export const STANDARD_VIEWS: ReadonlyArray<StandardView> = [
  indexView("company", [
    f("name", 0, 180),
    f("domainName", 1, 100, "COUNT"),
    f("createdBy", 2, 150),
    f("accountOwner", 3, 150),
    f("createdAt", 4, 150),
    f("employees", 5, 150, "MAX"),
    f("linkedinLink", 6, 170, "PERCENTAGE_EMPTY"),
    f("address", 7, 170, "COUNT_NOT_EMPTY")
  ]),
  indexView("person", [
    f("name", 0, 210),
    f("emails", 1, 150, "COUNT_UNIQUE_VALUES"),
    f("createdBy", 2, 150),
    f("company", 3, 150),
    f("phones", 4, 150, "PERCENTAGE_EMPTY"),
    f("createdAt", 5, 150, "MIN"),
    f("jobTitle", 6, 150),
    f("linkedinLink", 7, 150)
  ]),
  indexView("opportunity", [
    f("name", 0, 150),
    f("amount", 1, 150, "AVG"),
    f("createdBy", 2, 150),
    f("closeDate", 3, 150, "MIN"),
    f("company", 4, 150),
    f("pointOfContact", 5, 150)
  ]),
  {
    object: "opportunity",
    name: "By Stage",
    type: "KANBAN",
    key: null,
    position: 2,
    icon: "IconLayoutKanban",
    fields: opportunityCard,
    mainGroupByField: "stage",
    groups: ["NEW", "SCREENING", "MEETING", "PROPOSAL", "CUSTOMER"],
    kanbanAggregateOperation: "SUM",
    kanbanAggregateOperationField: "amount"
  },
  indexView("task", [
    f("title", 0, 210),
    f("status", 2, 150),
    f("taskTargets", 3, 150),
    f("createdBy", 4, 150),
    f("dueAt", 5, 150),
    f("assignee", 6, 150),
    f("bodyV2", 7, 150),
    f("createdAt", 8, 150)
  ]),
  {
    object: "task",
    name: "By Status",
    type: "KANBAN",
    key: null,
    position: 1,
    icon: "IconLayoutKanban",
    fields: [f("title", 0, 210), f("status", 2, 150), f("dueAt", 3, 150), f("assignee", 4, 150), f("createdAt", 6, 150)],
    mainGroupByField: "status",
    groups: ["TODO", "IN_PROGRESS", "DONE"]
  },
  {
    object: "task",
    name: "Assigned to Me",
    type: "TABLE",
    key: null,
    position: 2,
    icon: "IconUserCircle",
    fields: [
      f("title", 0, 210),
      f("taskTargets", 3, 150),
      f("createdBy", 4, 150),
      f("dueAt", 5, 150),
      f("assignee", 6, 150),
      f("bodyV2", 7, 150),
      f("createdAt", 8, 150)
    ],
    mainGroupByField: "status",
    groups: ["TODO", "IN_PROGRESS", "DONE", ""],
    filters: [{ field: "assignee", operand: "IS", value: JSON.stringify({ isCurrentWorkspaceMemberSelected: true, selectedRecordIds: [] }) }]
  },
  indexView("note", [
    f("title", 0, 210),
    f("noteTargets", 1, 150),
    f("bodyV2", 2, 150),
    f("createdBy", 3, 150),
    f("createdAt", 4, 150)
  ])
]
