/**
 * Twenty's step filters (FILTER and IF_ELSE): `stepFilterGroups` [{ id, logicalOperator, parentStepFilterGroupId }]
 * and `stepFilters` [{ stepFilterGroupId, stepOutputKey, operand, value }], with `stepOutputKey` and `value`
 * already resolved from their variables. Operands are accepted in Twenty's older SCREAMING_CASE and newer camelCase.
 */

interface StepFilter {
  readonly stepFilterGroupId?: string | null
  readonly stepOutputKey?: unknown
  readonly operand?: unknown
  readonly value?: unknown
}

interface StepFilterGroup {
  readonly id: string
  readonly logicalOperator?: unknown
  readonly parentStepFilterGroupId?: string | null
}

const list = <T>(value: unknown): ReadonlyArray<T> => (Array.isArray(value) ? value : [])

const isEmpty = (value: unknown) =>
  value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0) ||
  (typeof value === "object" && value !== null && Object.keys(value).length === 0)

const text = (value: unknown) => (typeof value === "object" && value !== null ? JSON.stringify(value) : String(value ?? ""))

const number = (value: unknown) => (typeof value === "number" ? value : Number(value))

const time = (value: unknown) => new Date(String(value)).getTime()

/** Twenty's operand names normalised: IS_NOT_EMPTY, isNotEmpty → isnotempty. */
const normalise = (operand: unknown) => String(operand ?? "").replace(/_/g, "").toLowerCase()

export const matchesFilter = ({ stepOutputKey: left, operand, value: right }: StepFilter): boolean => {
  switch (normalise(operand)) {
    case "is":
    case "eq":
      return text(left) === text(right)
    case "isnot":
    case "neq":
      return text(left) !== text(right)
    case "contains":
      return text(left).toLowerCase().includes(text(right).toLowerCase())
    case "doesnotcontain":
      return !text(left).toLowerCase().includes(text(right).toLowerCase())
    case "greaterthan":
      return number(left) > number(right)
    case "greaterthanorequal":
      return number(left) >= number(right)
    case "lessthan":
      return number(left) < number(right)
    case "lessthanorequal":
      return number(left) <= number(right)
    case "isempty":
      return isEmpty(left)
    case "isnotempty":
      return !isEmpty(left)
    case "isbefore":
      return time(left) < time(right)
    case "isafter":
      return time(left) > time(right)
    default:
      return false
  }
}

/** Whether the filters hold: root groups (and filters outside any group) all hold; a group combines by its operator. */
export const evaluateStepFilters = (input: Readonly<Record<string, unknown>>, onlyGroupId?: string): boolean => {
  const groups = list<StepFilterGroup>(input["stepFilterGroups"])
  const filters = list<StepFilter>(input["stepFilters"])
  const evaluateGroup = (group: StepFilterGroup): boolean => {
    const results = [
      ...filters.filter((f) => f.stepFilterGroupId === group.id).map(matchesFilter),
      ...groups.filter((g) => g.parentStepFilterGroupId === group.id).map(evaluateGroup)
    ]
    return String(group.logicalOperator ?? "AND").toUpperCase() === "OR" ? results.some(Boolean) : results.every(Boolean)
  }
  if (onlyGroupId !== undefined) {
    const group = groups.find((g) => g.id === onlyGroupId)
    return group ? evaluateGroup(group) : false
  }
  const ungrouped = filters.filter((f) => !f.stepFilterGroupId || !groups.some((g) => g.id === f.stepFilterGroupId))
  return ungrouped.every(matchesFilter) && groups.filter((g) => !g.parentStepFilterGroupId).every(evaluateGroup)
}
