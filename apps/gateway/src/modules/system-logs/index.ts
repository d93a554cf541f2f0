export { createSystemLogsRepository, DEFAULT_LIMIT as SYSTEM_LOGS_DEFAULT_LIMIT, MAX_LIMIT as SYSTEM_LOGS_MAX_LIMIT } from './system-logs.repository.js';
export type {
  AppendSystemLogInput,
  ListSystemLogsInput,
  SystemLog,
  SystemLogLevel,
  SystemLogPage,
  SystemLogsRepository,
} from './system-logs.repository.js';
