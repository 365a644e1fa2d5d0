import type { TestApp } from "./app.js"

/** /graphql (records) and /metadata (workflow mutations) calls for one account, failing loudly on errors. */
export const workflowClient = (app: TestApp, accessToken: string) => {
  const data = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await app.request("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ query, variables })
    })
    const body = (await response.json()) as any
    if (body.errors) throw new Error(JSON.stringify(body.errors))
    return body.data
  }
  const meta = (query: string, variables: Record<string, unknown> = {}) => app.gql(query, variables, accessToken)
  const metaData = async (query: string, variables: Record<string, unknown> = {}) => {
    const { body } = await meta(query, variables)
    if (body.errors) throw new Error(JSON.stringify(body.errors))
    return body.data
  }
  /** A workflow with one DRAFT version holding `trigger` and `steps`. */
  const createWorkflow = async (name: string, trigger: unknown, steps: Array<unknown>) => {
    const { createWorkflow: workflow } = await data(`mutation($name: String) { createWorkflow(data: { name: $name }) { id } }`, { name })
    const { createWorkflowVersion: version } = await data(
      `mutation($data: WorkflowVersionCreateInput!) { createWorkflowVersion(data: $data) { id status } }`,
      { data: { workflowId: workflow.id, name: "v1", trigger, steps } }
    )
    return { workflowId: workflow.id as string, versionId: version.id as string }
  }
  const activate = (workflowVersionId: string) =>
    metaData(`mutation($id: UUID!) { activateWorkflowVersion(workflowVersionId: $id) }`, { id: workflowVersionId })
  const run = async (workflowVersionId: string, payload: unknown = {}) =>
    (await metaData(`mutation($input: RunWorkflowVersionInput!) { runWorkflowVersion(input: $input) { id status } }`, {
      input: { workflowVersionId, payload }
    })).runWorkflowVersion.id as string
  const runRecord = async (id: string) =>
    (await data(`query($id: UUID!) { workflowRun(filter: { id: { eq: $id } }) { id status state workflowId workflowVersionId createdBy { source name } } }`, { id }))
      .workflowRun
  /** Polls until the run ends (COMPLETED, FAILED or STOPPED) or `timeoutMs` passes. */
  const settled = async (id: string, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs
    while (true) {
      const record = await runRecord(id)
      if (record && ["COMPLETED", "FAILED", "STOPPED"].includes(record.status)) return record
      if (Date.now() > deadline) throw new Error(`run ${id} not settled: ${JSON.stringify(record)}`)
      await Bun.sleep(50)
    }
  }
  return { data, meta, metaData, createWorkflow, activate, run, runRecord, settled }
}

/** A step as Twenty stores it. */
export const step = (id: string, type: string, input: unknown, nextStepIds: Array<string> = [], options: Record<string, unknown> = {}) => ({
  id,
  name: `${type} ${id.slice(0, 4)}`,
  type,
  valid: true,
  settings: {
    input,
    outputSchema: {},
    errorHandlingOptions: { retryOnFailure: { value: false }, continueOnFailure: { value: false } },
    ...options
  },
  nextStepIds
})
