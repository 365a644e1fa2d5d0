/**
 * Twenty's workflow mutations (engine/core-modules/workflow/resolvers: workflow-trigger, workflow-version,
 * workflow-version-step, workflow-version-edge, workflow-run, workflow-builder), as the last releases before
 * core workflows served them: step, edge and duplicate mutations answer WorkflowVersionStepChanges (microdiff
 * differences of the version's trigger and steps).
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
type WorkflowVersionStepChanges {
  triggerDiff: JSON
  stepsDiff: JSON
}

input WorkflowStepPositionInput { x: Float! y: Float! }
input WorkflowStepPositionUpdateInput { id: String! position: WorkflowStepPositionInput! }
input CreateWorkflowVersionStepInput {
  workflowVersionId: UUID!
  stepType: String!
  parentStepId: String
  parentStepConnectionOptions: JSON
  nextStepId: UUID
  position: WorkflowStepPositionInput
  id: String
}
input DuplicateWorkflowInput { workflowIdToDuplicate: UUID! workflowVersionIdToCopy: UUID! }
input DuplicateWorkflowVersionStepInput { workflowVersionId: String! stepId: String! }
input CreateWorkflowVersionEdgeInput { workflowVersionId: String! source: String! target: String! sourceConnectionOptions: JSON }
input UpdateWorkflowVersionPositionsInput { workflowVersionId: UUID! positions: [WorkflowStepPositionUpdateInput!]! }
input UpdateWorkflowVersionStepInput { workflowVersionId: UUID! step: JSON! }
input DeleteWorkflowVersionStepInput { workflowVersionId: UUID! stepId: String! }
input SubmitFormStepInput { stepId: String! workflowRunId: UUID! response: JSON! }
input UpdateWorkflowRunStepInput { workflowRunId: UUID! step: JSON! }
input TestHttpRequestInput { url: String! method: String! headers: JSON body: JSON }
type TestHttpRequest {
  success: Boolean!
  message: String!
  result: JSON
  error: JSON
  status: Float
  statusText: String
  headers: JSON
}
input ComputeStepOutputSchemaInput { step: JSON! workflowVersionId: UUID }

extend type Mutation {
  activateWorkflowVersion(workflowVersionId: UUID!): Boolean!
  deactivateWorkflowVersion(workflowVersionId: UUID!): Boolean!
  runWorkflowVersion(input: RunWorkflowVersionInput!): WorkflowRun!
  createDraftFromWorkflowVersion(input: CreateDraftFromWorkflowVersionInput!): WorkflowVersionDTO!
  duplicateWorkflow(input: DuplicateWorkflowInput!): WorkflowVersionDTO!
  createWorkflowVersionStep(input: CreateWorkflowVersionStepInput!): WorkflowVersionStepChanges!
  updateWorkflowVersionStep(input: UpdateWorkflowVersionStepInput!): WorkflowAction!
  deleteWorkflowVersionStep(input: DeleteWorkflowVersionStepInput!): WorkflowVersionStepChanges!
  duplicateWorkflowVersionStep(input: DuplicateWorkflowVersionStepInput!): WorkflowVersionStepChanges!
  createWorkflowVersionEdge(input: CreateWorkflowVersionEdgeInput!): WorkflowVersionStepChanges!
  deleteWorkflowVersionEdge(input: CreateWorkflowVersionEdgeInput!): WorkflowVersionStepChanges!
  updateWorkflowVersionPositions(input: UpdateWorkflowVersionPositionsInput!): Boolean!
  updateWorkflowRunStep(input: UpdateWorkflowRunStepInput!): WorkflowAction!
  testHttpRequest(input: TestHttpRequestInput!): TestHttpRequest!
  stopWorkflowRun(workflowRunId: UUID!): WorkflowRun!
  submitFormStep(input: SubmitFormStepInput!): Boolean!
  computeStepOutputSchema(input: ComputeStepOutputSchemaInput!): JSON!
}
`
