declare module "s3rver" {
  interface S3rverOptions {
    readonly port?: number
    readonly address?: string
    readonly silent?: boolean
    readonly directory?: string
  }
  /** The parts of s3rver the tests use (it ships no types). */
  export default class S3rver {
    constructor(options: S3rverOptions)
    run(): Promise<unknown>
    close(): Promise<void>
    readonly httpServer?: { closeAllConnections?: () => void }
  }
}
