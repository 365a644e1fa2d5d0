export * from "./job-queue.js"
export { JobQueueMemory, makeJobQueueMemory } from "./memory.js"
export { JobQueueRedis, type JobQueueRedisOptions, makeJobQueueRedis } from "./redis.js"
