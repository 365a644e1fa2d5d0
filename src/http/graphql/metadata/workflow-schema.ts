/**
 * Twenty's workflow mutations (engine/core-modules/workflow/resolvers: workflow-trigger, workflow-version,
 * workflow-version-step, workflow-run, workflow-builder), as releases before core workflows served them.
 */
export const workflowTypeDefs = /* GraphQL */ `
enum WorkflowRunStatusEnum { NOT_STARTED ENQUEUED RUNNING COMPLETED FAILED STOPPING STOPPED }

type WorkflowRun {
  id: UUID!
  status: WorkflowRunStatusEnum!
}

type WorkflowAction {
  id: UUID!
  name: String!
  type: String!
  settings: JSON!
  valid: Boolean!
  nextStepIds: [UUID!]
}

type WorkflowVersionDTO {
  id: UUID!
  name: String!
  workflowId: UUID!
  status: String!
  trigger: JSON
  steps: JSON
}

input RunWorkflowVersionInput { workflowVersionId: UUID! workflowRunId: UUID payload: JSON }
input CreateDraftFromWorkflowVersionInput { workflowId: UUID! workflowVersionIdToCopy: UUID! }
input CreateWorkflowVersionStepInput { workflowVersionId: UUID! stepType: String! parentStepId: String nextStepId: UUID }
input UpdateWorkflowVersionStepInput { workflowVersionId: UUID! step: JSON! }
input DeleteWorkflowVersionStepInput { workflowVersionId: UUID! stepId: String! }
input SubmitFormStepInput { stepId: String! workflowRunId: UUID! response: JSON! }
input ComputeStepOutputSchemaInput { step: JSON! workflowVersionId: UUID }

extend type Mutation {
  activateWorkflowVersion(workflowVersionId: UUID!): Boolean!
  deactivateWorkflowVersion(workflowVersionId: UUID!): Boolean!
  runWorkflowVersion(input: RunWorkflowVersionInput!): WorkflowRun!
  createDraftFromWorkflowVersion(input: CreateDraftFromWorkflowVersionInput!): WorkflowVersionDTO!
  createWorkflowVersionStep(input: CreateWorkflowVersionStepInput!): WorkflowAction!
  updateWorkflowVersionStep(input: UpdateWorkflowVersionStepInput!): WorkflowAction!
  deleteWorkflowVersionStep(input: DeleteWorkflowVersionStepInput!): WorkflowAction!
  stopWorkflowRun(workflowRunId: UUID!): WorkflowRun!
  submitFormStep(input: SubmitFormStepInput!): Boolean!
  computeStepOutputSchema(input: ComputeStepOutputSchemaInput!): JSON!
}
`
