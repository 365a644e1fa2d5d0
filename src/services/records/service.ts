import { SqlError } from "@effect/sql"
import { Context, type Effect } from "effect"
import { BadUserInput, Conflict, Forbidden, NotFound } from "../../domain/errors.js"
import type {
  Connection,
  ConnectionArgs,
  ConnectionSelection,
  Group,
  GroupByArgs,
  RecordFilter,
  RecordsLimits,
  RecordsScope,
  RecordValue,
  Selection
} from "./types.js"

export type RecordsFailure = BadUserInput | NotFound | Conflict | Forbidden | SqlError.SqlError

/** What a direct write's rejection carries (anything else is a defect). */
export const isRecordsFailure = (error: unknown): error is RecordsFailure =>
  error instanceof BadUserInput || error instanceof NotFound || error instanceof Conflict || error instanceof Forbidden ||
  error instanceof SqlError.SqlError

/**
 * Reads and writes of workspace records: the one path GraphQL, REST, workflows and imports share.
 * `object` is the object's nameSingular. Every method validates names and values against metadata.
 */
export interface RecordsShape {
  /** Page size, depth and batch limits in force (configurable), also checked by the front doors. */
  readonly limits: RecordsLimits
  readonly findMany: (
    scope: RecordsScope,
    object: string,
    args: ConnectionArgs,
    selection: Selection,
    extras: ConnectionSelection
  ) => Effect.Effect<Connection, RecordsFailure>
  /**
   * The same read as `findMany` done directly: a plain promise outside Effect, for the hottest paths
   * (/graphql and REST lists). Named for what it is (a direct read, no Effect runtime, no lookup) rather
   * than when it answers. Only when it needs no lookup (the workspace's model is in memory) and the
   * input is valid, else null. A rejected promise means the statement failed: ask `findMany`, which
   * answers with a typed failure.
   */
  readonly findManyDirect: (
    scope: RecordsScope,
    object: string,
    args: ConnectionArgs,
    selection: Selection,
    extras: ConnectionSelection
  ) => Promise<Connection> | null
  /**
   * Twenty's group-by: the groups of the filtered records with their dimension values and aggregates (count
   * always), and, when `records` is given, up to 10 sample records each. One SQL statement.
   */
  readonly groupBy: (
    scope: RecordsScope,
    object: string,
    args: GroupByArgs,
    records: Selection | null,
    extras: ConnectionSelection
  ) => Effect.Effect<ReadonlyArray<Group>, RecordsFailure>
  /**
   * Every record matching `args.filter` in `args.order` (no page limit), batch after batch with one batch in
   * memory: for exports of any size. Input is checked (and refused) before this succeeds.
   */
  readonly streamMany: (
    scope: RecordsScope,
    object: string,
    args: Pick<ConnectionArgs, "filter" | "orderBy">,
    selection: Selection
  ) => Effect.Effect<AsyncGenerator<ReadonlyArray<RecordValue>>, RecordsFailure>
  /**
   * streamMany's export as text lines built by the database (JSON lines, or CSV rows without the header),
   * one chunk per batch; null, before anything is read, where only streamMany answers (relations in the
   * selection, a restricted caller, the embedded database).
   */
  readonly streamLines: (
    scope: RecordsScope,
    object: string,
    args: Pick<ConnectionArgs, "filter" | "orderBy">,
    selection: Selection,
    format: "csv" | "jsonl"
  ) => Effect.Effect<AsyncGenerator<string> | null, RecordsFailure>
  /** The first record matching `filter`, or null. */
  readonly findOne: (
    scope: RecordsScope,
    object: string,
    filter: RecordFilter,
    selection: Selection
  ) => Effect.Effect<RecordValue | null, RecordsFailure>
  /**
   * The same read as `findOne` done directly, as `findManyDirect` is for `findMany` (and null, or a
   * rejected promise, in the same cases); `{ id: { eq } }` reuses one plan for every id.
   */
  readonly findOneDirect: (
    scope: RecordsScope,
    object: string,
    filter: RecordFilter,
    selection: Selection
  ) => Promise<RecordValue | null> | null
  /** Inserts all or none. With `upsert`, a record whose id (or a unique field) exists is updated instead. */
  readonly createMany: (
    scope: RecordsScope,
    object: string,
    data: ReadonlyArray<Record<string, unknown>>,
    selection: Selection,
    options?: { readonly upsert?: boolean }
  ) => Effect.Effect<ReadonlyArray<RecordValue>, RecordsFailure>
  /**
   * The common writes done directly, as `findManyDirect` is for reads: `createMany` of one record without
   * upsert, `updateOne`, and `deleteMany` and `restoreMany` of one id, as plain promises outside Effect, with the same
   * statement, events, epoch bump and answer. Null, before anything runs, whenever the reference call must
   * answer (a restricted role, relations in the selection, nested relation inputs, input the builders
   * refuse, a model not in memory). A resolved null: no live record has the id (the reference's not found).
   * A rejection is the statement's failure as the reference fails (RecordsFailure): nothing was written.
   */
  readonly createOneDirect: (
    scope: RecordsScope,
    object: string,
    data: unknown,
    selection: Selection
  ) => Promise<RecordValue | null> | null
  readonly updateOneDirect: (
    scope: RecordsScope,
    object: string,
    id: string,
    data: unknown,
    selection: Selection
  ) => Promise<RecordValue | null> | null
  readonly deleteOneDirect: (
    scope: RecordsScope,
    object: string,
    id: string,
    selection: Selection
  ) => Promise<RecordValue | null> | null
  /** `restoreMany` of one id: resolves to null when no soft-deleted record has it. */
  readonly restoreOneDirect: (
    scope: RecordsScope,
    object: string,
    id: string,
    selection: Selection
  ) => Promise<RecordValue | null> | null
  readonly updateOne: (
    scope: RecordsScope,
    object: string,
    id: string,
    data: Record<string, unknown>,
    selection: Selection
  ) => Effect.Effect<RecordValue, RecordsFailure>
  readonly updateMany: (
    scope: RecordsScope,
    object: string,
    filter: RecordFilter,
    data: Record<string, unknown>,
    selection: Selection
  ) => Effect.Effect<ReadonlyArray<RecordValue>, RecordsFailure>
  /** Soft delete (sets deletedAt). */
  readonly deleteMany: (
    scope: RecordsScope,
    object: string,
    filter: RecordFilter,
    selection: Selection
  ) => Effect.Effect<ReadonlyArray<RecordValue>, RecordsFailure>
  /** Hard delete; returns the records as they were. */
  readonly destroyMany: (
    scope: RecordsScope,
    object: string,
    filter: RecordFilter,
    selection: Selection
  ) => Effect.Effect<ReadonlyArray<RecordValue>, RecordsFailure>
  readonly restoreMany: (
    scope: RecordsScope,
    object: string,
    filter: RecordFilter,
    selection: Selection
  ) => Effect.Effect<ReadonlyArray<RecordValue>, RecordsFailure>
  /**
   * Merges `ids` into the record at `conflictPriorityIndex`: its non-empty values win, empty ones are
   * filled from the others, one-to-many children are moved, the others are soft-deleted.
   * With `dryRun`, returns the merged record without writing.
   */
  readonly merge: (
    scope: RecordsScope,
    object: string,
    ids: ReadonlyArray<string>,
    conflictPriorityIndex: number,
    dryRun: boolean,
    selection: Selection
  ) => Effect.Effect<RecordValue, RecordsFailure>
  /** Records that look like duplicates of each given record or id (by the object's duplicate criteria). */
  readonly findDuplicates: (
    scope: RecordsScope,
    object: string,
    input: { readonly ids?: ReadonlyArray<string>; readonly data?: ReadonlyArray<Record<string, unknown>> },
    selection: Selection
  ) => Effect.Effect<ReadonlyArray<Connection>, RecordsFailure>
  /** Cross-object search over searchable objects (label identifier and search fields). */
  readonly search: (
    scope: RecordsScope,
    input: SearchInput
  ) => Effect.Effect<SearchPage, RecordsFailure>
}

/** What a search asks, as /graphql's `search` field takes it. */
export interface SearchInput {
  readonly searchInput: string
  readonly limit: number
  /** A cursor of a previous page's hit: the hits ranked after it. */
  readonly after?: string | null
  readonly includedObjectNameSingulars?: ReadonlyArray<string> | null
  readonly excludedObjectNameSingulars?: ReadonlyArray<string> | null
  /** On the fields every object has (id, createdAt, updatedAt, deletedAt), with and/or/not. */
  readonly filter?: RecordFilter | null
}

/** One page of search hits, best first (rank, then object name and id), each with its cursor. */
export interface SearchPage {
  readonly edges: ReadonlyArray<{ readonly node: SearchHit; readonly cursor: string }>
  readonly hasNextPage: boolean
}

export interface SearchHit {
  readonly recordId: string
  readonly objectNameSingular: string
  readonly objectLabelSingular: string
  readonly label: string
  readonly imageUrl: string | null
  readonly tsRankCD: number
  readonly tsRank: number
}

export class Records extends Context.Tag("score/Records")<Records, RecordsShape>() {}
