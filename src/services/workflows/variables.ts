/**
 * Twenty's variables (workflow-executor/utils/variable-resolver): `{{trigger.properties.after.name}}`,
 * `{{<stepId>.id}}`. A string that is one variable takes the variable's value as is (a number stays a
 * number, an object an object); variables inside longer text are written as text (objects as JSON).
 * An unknown path resolves to undefined (empty inside text), as Twenty's lodash `get` does.
 */

const ONE_VARIABLE = /^\{\{\s*([^{}]+?)\s*\}\}$/
const VARIABLES = /\{\{\s*([^{}]+?)\s*\}\}/g

/** The steps' results and the trigger's payload, by step id (`trigger` for the trigger). */
export type VariableContext = Readonly<Record<string, unknown>>

const lookup = (context: VariableContext, path: string): unknown => {
  let value: unknown = context
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined
    value = Object.getOwnPropertyDescriptor(value, key)?.value
  }
  return value
}

const asText = (value: unknown) =>
  value === undefined || value === null ? "" : typeof value === "object" ? JSON.stringify(value) : String(value)

const resolveString = (text: string, context: VariableContext): unknown => {
  const single = ONE_VARIABLE.exec(text)
  if (single) return lookup(context, single[1]!)
  return text.replace(VARIABLES, (_, path: string) => asText(lookup(context, path)))
}

/** `input` with every variable replaced, at any depth (object keys are left alone). */
export const resolveVariables = (input: unknown, context: VariableContext): unknown => {
  if (typeof input === "string") return resolveString(input, context)
  if (Array.isArray(input)) return input.map((item) => resolveVariables(item, context))
  if (input !== null && typeof input === "object") {
    return Object.fromEntries(Object.entries(input).map(([key, value]) => [key, resolveVariables(value, context)]))
  }
  return input
}
