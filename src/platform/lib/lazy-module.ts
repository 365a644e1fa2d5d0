/**
 * A library imported on its first use, once per process: what only some paths need (mail, calendar, S3,
 * ClickHouse, thumbnails, SSO, CSV imports) stays out of the start. The bundle (scripts/run.ts, `splitting`)
 * puts each such library in a chunk of its own, parsed only when imported. A failed import is retried.
 */
export const lazyModule = <M>(load: () => Promise<M>): () => Promise<M> => {
  let loading: Promise<M> | undefined
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined
      throw error
    }))
}
