import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLInputObjectType,
  type GraphQLInputType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLOutputType,
  GraphQLString
} from "graphql"
import type { FieldType } from "../../../../domain/field-types.js"
import {
  BigFloatScalar,
  BigIntScalar,
  DateScalar,
  DateTimeScalar,
  JSONScalar,
  PositionScalar,
  TSVectorScalar,
  UUIDScalar
} from "../../scalars.js"
import {
  ArrayFilter,
  BigFloatFilter,
  BigIntFilter,
  BooleanFilter,
  DateFilter,
  FloatFilter,
  IntFilter,
  RawJsonFilter,
  StringFilter,
  TSVectorFilter,
  UUIDFilter
} from "./shared-types.js"

/** How one non-composite, non-enum, non-relation field type appears in the schema (Twenty's type mapper). */
export interface ScalarMapping {
  readonly output: GraphQLOutputType
  /** null: not writable through create/update inputs. */
  readonly input: GraphQLInputType | null
  readonly filter: GraphQLInputType
}

const FileCategory = new GraphQLEnumType({
  name: "FileCategory",
  values: Object.fromEntries(
    ["ARCHIVE", "AUDIO", "IMAGE", "PRESENTATION", "SPREADSHEET", "TEXT_DOCUMENT", "VIDEO", "OTHER"].map((v) => [v, { value: v }])
  )
})

const FileObject = new GraphQLObjectType({
  name: "FileObject",
  fields: {
    fileId: { type: new GraphQLNonNull(UUIDScalar) },
    label: { type: new GraphQLNonNull(GraphQLString) },
    fileCategory: { type: FileCategory },
    /** Signed on read (Twenty's SignedFileOutput): downloads the file until FILE_TOKEN_EXPIRES_IN. */
    url: { type: GraphQLString }
  }
})

const FileInput = new GraphQLInputObjectType({
  name: "FileInput",
  fields: {
    fileId: { type: new GraphQLNonNull(UUIDScalar) },
    label: { type: new GraphQLNonNull(GraphQLString) }
  }
})

const same = (scalar: GraphQLOutputType & GraphQLInputType, filter: GraphQLInputType): ScalarMapping => ({
  output: scalar,
  input: scalar,
  filter
})

const numberMapping = (settings: Record<string, unknown> | null): ScalarMapping => {
  switch (settings?.["dataType"]) {
    case "int":
      return same(GraphQLInt, IntFilter)
    case "bigint":
      return same(BigIntScalar, BigIntFilter)
    default:
      return same(GraphQLFloat, FloatFilter)
  }
}

export const scalarMapping = (type: FieldType, settings: Record<string, unknown> | null): ScalarMapping | null => {
  switch (type) {
    case "UUID":
      return same(UUIDScalar, UUIDFilter)
    case "TEXT":
    case "RICH_TEXT":
      return same(GraphQLString, StringFilter)
    case "DATE_TIME":
      return same(DateTimeScalar, DateFilter)
    case "DATE":
      return same(DateScalar, DateFilter)
    case "BOOLEAN":
      return same(GraphQLBoolean, BooleanFilter)
    case "NUMBER":
      return numberMapping(settings)
    case "NUMERIC":
      return same(BigFloatScalar, BigFloatFilter)
    case "POSITION":
      return same(PositionScalar, FloatFilter)
    case "RAW_JSON":
      return same(JSONScalar, RawJsonFilter)
    case "ARRAY":
      return same(new GraphQLList(GraphQLString), ArrayFilter)
    case "TS_VECTOR":
      return { output: TSVectorScalar, input: null, filter: TSVectorFilter }
    case "FILES":
      return { output: new GraphQLList(FileObject), input: new GraphQLList(FileInput), filter: RawJsonFilter }
    default:
      return null
  }
}

/** Named types only FILES fields use; listed so every schema carries them. */
export const FILE_TYPES = [FileCategory, FileObject, FileInput]
