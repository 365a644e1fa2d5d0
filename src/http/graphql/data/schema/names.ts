/**
 * GraphQL names derived from metadata names, spelled as Twenty spells them: type names use lodash-style
 * PascalCase of the metadata name (`person` → `Person`, `myURL` → `MyUrl`, `RICH_TEXT_V2` → `RichTextV2`),
 * aggregate field names only upper-case the first letter (`countEmptyMyURL`).
 */

const WORD = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g

/** Splits into words the way lodash `words` does for camelCase, SNAKE_CASE and digits. */
const words = (name: string): Array<string> => name.match(WORD) ?? []

export const pascalCase = (name: string): string =>
  words(name).map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join("")

export const capitalize = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1)

/** GraphQL's own name rule; metadata names are validated stricter, this is a last line of defence. */
export const isGraphQLName = (name: string): boolean => /^[_A-Za-z][_0-9A-Za-z]*$/.test(name) && !name.startsWith("__")

/** Enum values must also not be `true`, `false` or `null`. */
export const isEnumValueName = (name: string): boolean => isGraphQLName(name) && !["true", "false", "null"].includes(name)

export const typeNames = (nameSingular: string) => {
  const base = pascalCase(nameSingular)
  return {
    object: base,
    edge: `${base}Edge`,
    connection: `${base}Connection`,
    filter: `${base}FilterInput`,
    orderBy: `${base}OrderByInput`,
    create: `${base}CreateInput`,
    update: `${base}UpdateInput`,
    groupBy: `${base}GroupByInput`,
    orderByWithGroupBy: `${base}OrderByWithGroupByInput`,
    orderByWithGroupByAggregate: `${base}OrderByWithGroupByAggregateInput`,
    groupByConnection: `${base}GroupByConnection`,
    relationInput: `${base}RelationInput`,
    connectInput: `${base}ConnectInput`,
    whereUnique: `${base}WhereUniqueInput`
  }
}

/** The input naming a unique composite field's subfields in a connect (`CompanyDomainNameWhereInput`). */
export const uniqueWhereTypeName = (nameSingular: string, fieldName: string) =>
  `${pascalCase(nameSingular)}${pascalCase(fieldName)}WhereInput`

export const enumTypeName = (nameSingular: string, fieldName: string) =>
  `${pascalCase(nameSingular)}${pascalCase(fieldName)}Enum`

/** Root field names, as Twenty's getResolverName computes them. */
export const resolverNames = (nameSingular: string, namePlural: string) => {
  const one = pascalCase(nameSingular)
  const many = pascalCase(namePlural)
  return {
    findMany: namePlural,
    findOne: nameSingular,
    findDuplicates: `${nameSingular}Duplicates`,
    createOne: `create${one}`,
    createMany: `create${many}`,
    updateOne: `update${one}`,
    updateMany: `update${many}`,
    deleteOne: `delete${one}`,
    deleteMany: `delete${many}`,
    destroyOne: `destroy${one}`,
    destroyMany: `destroy${many}`,
    restoreOne: `restore${one}`,
    restoreMany: `restore${many}`,
    mergeMany: `merge${many}`,
    groupBy: `${namePlural}GroupBy`
  }
}
