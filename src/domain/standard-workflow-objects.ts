/**
 * Twenty's workflow objects (workflow, workflowVersion, workflowRun, workflowAutomatedTrigger), as plain data
 * beside the rest of the standard model (standard-objects.ts). Source: Twenty's
 * modules/workflow/common/standard-objects/*.workspace-entity.ts, the version with enqueuedAt, state and the
 * ENQUEUED / STOPPING / STOPPED run statuses. Their relations to favorites, timeline activities and
 * attachments are left out, as standard-objects.ts's header says.
 */
import type { StandardObject } from "./standard-objects.js"
import { manyToOne, oneToMany } from "./standard-relations.js"

export const workflow: StandardObject = {
  nameSingular: "workflow",
  namePlural: "workflows",
  labelSingular: "Workflow",
  labelPlural: "Workflows",
  description: "A workflow",
  icon: "IconSettingsAutomation",
  labelIdentifierField: "name",
  isSearchable: true,
  searchFields: ["name"],
  fields: [
    { name: "name", label: "Name", type: "TEXT", description: "The workflow name", icon: "IconSettingsAutomation" },
    { name: "lastPublishedVersionId", label: "Last published Version Id", type: "TEXT", description: "The workflow last published version id", icon: "IconVersions", isUIReadOnly: true },
    {
      name: "statuses",
      label: "Statuses",
      type: "MULTI_SELECT",
      description: "The current statuses of the workflow versions",
      icon: "IconStatusChange",
      isUIReadOnly: true,
      options: [
        { value: "DRAFT", label: "Draft", color: "yellow", position: 0 },
        { value: "ACTIVE", label: "Active", color: "green", position: 1 },
        { value: "DEACTIVATED", label: "Deactivated", color: "gray", position: 2 }
      ]
    },
    oneToMany("versions", "Versions", "workflowVersion", "workflow", { description: "Workflow versions linked to the workflow.", icon: "IconVersions", isUIReadOnly: true }),
    oneToMany("runs", "Runs", "workflowRun", "workflow", { description: "Workflow runs linked to the workflow.", icon: "IconRun", isUIReadOnly: true }),
    oneToMany("automatedTriggers", "Automated Triggers", "workflowAutomatedTrigger", "workflow", { description: "Workflow automated triggers linked to the workflow.", icon: "IconSettingsAutomation", isUIReadOnly: true })
  ]
}

export const workflowVersion: StandardObject = {
  nameSingular: "workflowVersion",
  namePlural: "workflowVersions",
  labelSingular: "Workflow Version",
  labelPlural: "Workflow Versions",
  description: "A workflow version",
  icon: "IconVersions",
  labelIdentifierField: "name",
  isSystem: true,
  isSearchable: true,
  searchFields: ["name"],
  fields: [
    { name: "name", label: "Name", type: "TEXT", description: "The workflow version name", icon: "IconSettingsAutomation" },
    manyToOne("workflow", "Workflow", "workflow", "versions", "CASCADE", { description: "WorkflowVersion workflow", icon: "IconSettingsAutomation", isUIReadOnly: true }),
    { name: "trigger", label: "Version trigger", type: "RAW_JSON", description: "Json object to provide trigger", icon: "IconSettingsAutomation" },
    { name: "steps", label: "Version steps", type: "RAW_JSON", description: "Json object to provide steps", icon: "IconSettingsAutomation" },
    {
      name: "status",
      label: "Version status",
      type: "SELECT",
      description: "The workflow version status",
      icon: "IconStatusChange",
      isNullable: false,
      isUIReadOnly: true,
      defaultValue: "'DRAFT'",
      options: [
        { value: "DRAFT", label: "Draft", color: "yellow", position: 0 },
        { value: "ACTIVE", label: "Active", color: "green", position: 1 },
        { value: "DEACTIVATED", label: "Deactivated", color: "red", position: 2 },
        { value: "ARCHIVED", label: "Archived", color: "gray", position: 3 }
      ]
    },
    oneToMany("runs", "Runs", "workflowRun", "workflowVersion", { description: "Workflow runs linked to the version.", icon: "IconRun", isUIReadOnly: true })
  ]
}

export const workflowRun: StandardObject = {
  nameSingular: "workflowRun",
  namePlural: "workflowRuns",
  labelSingular: "Workflow Run",
  labelPlural: "Workflow Runs",
  description: "A workflow run",
  icon: "IconHistoryToggle",
  labelIdentifierField: "name",
  isSystem: true,
  isSearchable: true,
  searchFields: ["name"],
  fields: [
    { name: "name", label: "Name", type: "TEXT", description: "Name of the workflow run", icon: "IconSettingsAutomation" },
    { name: "enqueuedAt", label: "Enqueued at", type: "DATE_TIME", description: "Workflow run enqueued at", icon: "IconHistory", isUIReadOnly: true },
    { name: "startedAt", label: "Workflow run started at", type: "DATE_TIME", description: "Workflow run started at", icon: "IconHistory", isUIReadOnly: true },
    { name: "endedAt", label: "Workflow run ended at", type: "DATE_TIME", description: "Workflow run ended at", icon: "IconHistory", isUIReadOnly: true },
    {
      name: "status",
      label: "Workflow run status",
      type: "SELECT",
      description: "Workflow run status",
      icon: "IconStatusChange",
      isNullable: false,
      isUIReadOnly: true,
      defaultValue: "'NOT_STARTED'",
      options: [
        { value: "NOT_STARTED", label: "Not started", color: "gray", position: 0 },
        { value: "RUNNING", label: "Running", color: "yellow", position: 1 },
        { value: "COMPLETED", label: "Completed", color: "green", position: 2 },
        { value: "FAILED", label: "Failed", color: "red", position: 3 },
        { value: "ENQUEUED", label: "Enqueued", color: "blue", position: 4 },
        { value: "STOPPING", label: "Stopping", color: "orange", position: 5 },
        { value: "STOPPED", label: "Stopped", color: "gray", position: 6 }
      ]
    },
    { name: "state", label: "State", type: "RAW_JSON", description: "State of the workflow run", icon: "IconHierarchy2", isUIReadOnly: true },
    manyToOne("workflowVersion", "Workflow version", "workflowVersion", "runs", "CASCADE", { description: "Workflow version linked to the run.", icon: "IconVersions", isUIReadOnly: true }),
    manyToOne("workflow", "Workflow", "workflow", "runs", "CASCADE", { description: "Workflow linked to the run.", icon: "IconSettingsAutomation", isUIReadOnly: true })
  ]
}

export const workflowAutomatedTrigger: StandardObject = {
  nameSingular: "workflowAutomatedTrigger",
  namePlural: "workflowAutomatedTriggers",
  labelSingular: "WorkflowAutomatedTrigger",
  labelPlural: "WorkflowAutomatedTriggers",
  description: "A workflow automated trigger",
  icon: "IconSettingsAutomation",
  labelIdentifierField: "id",
  isSystem: true,
  fields: [
    {
      name: "type",
      label: "Automated Trigger Type",
      type: "SELECT",
      description: "The workflow automated trigger type",
      icon: "IconSettingsAutomation",
      isNullable: false,
      options: [
        { value: "DATABASE_EVENT", label: "Database Event", color: "green", position: 0 },
        { value: "CRON", label: "Cron", color: "blue", position: 1 }
      ]
    },
    { name: "settings", label: "Settings", type: "RAW_JSON", description: "The workflow automated trigger settings", icon: "IconSettingsAutomation", isNullable: false },
    manyToOne("workflow", "Workflow", "workflow", "automatedTriggers", "CASCADE", { description: "WorkflowAutomatedTrigger workflow", icon: "IconSettingsAutomation", isUIReadOnly: true })
  ]
}
