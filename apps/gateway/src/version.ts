import { readFileSync } from 'node:fs';

/**
 * The gateway's package version, reported by /health/detailed and the OpenAPI document.
 * Read at runtime because package.json sits outside rootDir; `../package.json` is the same file
 * from src/ (tests, tsx) and dist/ (built).
 */
export const GATEWAY_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    // A bundled or trimmed deployment without package.json still starts.
    return '0.0.0';
  }
})();
