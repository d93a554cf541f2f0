import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as contracts from './index.js';

/**
 * Fastify builds its OpenAPI document from these schemas with zod's JSON Schema conversion, so
 * every exported schema must convert — in both directions (request bodies are read as `input`,
 * responses as `output`) and for both the OpenAPI 3.0 and JSON Schema 2020-12 targets. The
 * conversion here runs with zod's default of throwing on anything unrepresentable.
 */
const schemas: [string, z.ZodType][] = [];
for (const [name, value] of Object.entries(contracts) as [string, unknown][]) {
  if (value instanceof z.ZodType) schemas.push([name, value]);
}

interface JsonObject {
  oneOf?: { properties: Record<string, unknown>; required?: string[] }[];
  additionalProperties?: unknown;
}
// Reads the converted schema as plain JSON; zod's own JSONSchema type is too loose to index into.
const toJson = (schema: z.ZodType): JsonObject => z.toJSONSchema(schema, { io: 'input' }) as unknown as JsonObject;

describe('JSON Schema conversion', () => {
  it('finds the exported schemas', () => {
    expect(schemas.length).toBeGreaterThan(100);
  });

  it.each(schemas)('converts %s', (_name, schema) => {
    for (const io of ['input', 'output'] as const) {
      for (const target of ['draft-2020-12', 'openapi-3.0'] as const) {
        expect(() => z.toJSONSchema(schema, { io, target })).not.toThrow();
      }
    }
  });

  it('documents the send body as a oneOf with text as the default type', () => {
    const json = toJson(contracts.sendMessageBody);
    expect(json.oneOf).toHaveLength(contracts.SEND_MESSAGE_TYPES.length);
    const text = json.oneOf?.[0];
    expect(text?.properties['type']).toMatchObject({ const: 'text', default: 'text' });
    expect(text?.required).not.toContain('type');
  });

  it('marks request bodies as closed to unknown fields', () => {
    expect(toJson(contracts.registerBody).additionalProperties).toBe(false);
  });
});
