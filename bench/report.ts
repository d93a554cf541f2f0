// One scenario's figures: a readable table for people, then one marker line of JSON that
// bench/run.mjs collects into bench/results/<date>.json. Benches print figures, never assert timing.
export type Figure = number | string | boolean | null;

export const RESULT_MARKER = '@@bench-result ';

export function report(scenario: string, figures: Record<string, Figure>, notes: string[] = []): void {
  const rows = Object.entries(figures).map(([k, v]) => [k, typeof v === 'number' ? String(Math.round(v * 100) / 100) : String(v)] as const);
  const width = Math.max(6, ...rows.map(([k]) => k.length));
  const valueWidth = Math.max(5, ...rows.map(([, v]) => v.length));
  const line = `+${'-'.repeat(width + 2)}+${'-'.repeat(valueWidth + 2)}+`;
  const lines = [`\n${scenario}`, line, `| ${'figure'.padEnd(width)} | ${'value'.padEnd(valueWidth)} |`, line, ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v.padStart(valueWidth)} |`), line, ...notes.map((n) => `  ${n}`)];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify({ scenario, at: new Date().toISOString(), figures, notes })}\n`);
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}
