import { resolve } from 'node:path';

/** The CLI's one read of process.env: each role hands this record to its app's config parser. */
export function readEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}

/** DATA_DIR as an absolute path, defaulting to ./data beside where the command runs. */
export function dataDirOf(env: Record<string, string | undefined>): string {
  return resolve(env.DATA_DIR && env.DATA_DIR.length > 0 ? env.DATA_DIR : './data');
}
