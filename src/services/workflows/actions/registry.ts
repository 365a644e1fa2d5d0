import type { SqlClient } from "@effect/sql"
import type { AppConfig } from "../../../platform/config.js"
import type { SecretBox } from "../../auth/secret-box.js"
import type { Mailer } from "../../mail/index.js"
import type { LogicFunctions } from "../../logic-functions/index.js"
import type { Metadata } from "../../metadata/index.js"
import type { Records } from "../../records/service.js"
import type { ActionExecutor } from "./action.js"
import { aiAgentAction } from "./ai-agent.js"
import { codeAction } from "./code.js"
import { createRecordAction } from "./create-record.js"
import { delayAction } from "./delay.js"
import { deleteRecordAction } from "./delete-record.js"
import { filterAction } from "./filter.js"
import { findRecordsAction } from "./find-records.js"
import { formAction } from "./form.js"
import { httpRequestAction } from "./http-request.js"
import { ifElseAction } from "./if-else.js"
import { iteratorAction } from "./iterator.js"
import { sendEmailAction } from "./send-email.js"
import { updateRecordAction } from "./update-record.js"
import { upsertRecordAction } from "./upsert-record.js"

/** What the actions need; a new action needing another service adds it here. */
export type ActionServices = Records | Metadata | AppConfig | Mailer | LogicFunctions | SecretBox | SqlClient.SqlClient

/**
 * Action executors by Twenty's step type; a step of a type not listed fails with "Action type … is not supported".
 */
export const ACTIONS: Readonly<Record<string, ActionExecutor<ActionServices>>> = Object.fromEntries(
  [
    createRecordAction,
    updateRecordAction,
    deleteRecordAction,
    upsertRecordAction,
    findRecordsAction,
    filterAction,
    ifElseAction,
    httpRequestAction,
    sendEmailAction,
    delayAction,
    iteratorAction,
    formAction,
    aiAgentAction,
    codeAction
  ].map((action) => [action.type, action])
)

/** The step types createWorkflowVersionStep accepts (Twenty's WorkflowActionType values). */
export const STEP_TYPES = [
  "CODE", "SEND_EMAIL", "CREATE_RECORD", "UPDATE_RECORD", "DELETE_RECORD", "UPSERT_RECORD", "FIND_RECORDS",
  "FORM", "FILTER", "IF_ELSE", "HTTP_REQUEST", "AI_AGENT", "ITERATOR", "EMPTY", "DELAY"
] as const
