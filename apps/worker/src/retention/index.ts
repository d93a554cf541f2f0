export { RetentionJob } from './retention-job.js';
export type { RetentionOptions, SweepResult } from './retention-job.js';
