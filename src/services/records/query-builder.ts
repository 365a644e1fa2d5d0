/**
 * The records query builder: SQL text and parameters from Twenty's inputs, pure (no database). Split by
 * concern; this module gathers them for the records service and its callers.
 *   build-context  the model (names → objects, fields, tables), parameters, input errors
 *   selection      what a record returns: JSON or plain columns, nested relations
 *   filters        Twenty's filter grammar (and / or / not, composite subfields, relation filters)
 *   order          ORDER BY terms, cursors and keyset conditions, page sizes
 */
export * from "./build-context.js"
export * from "./filters.js"
export * from "./order.js"
export * from "./selection.js"
