import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode, type FieldError, type Problem } from './errors.js';

/** RFC 9457 problem+json body as a schema, so routes can declare their error responses for OpenAPI. */
export const fieldErrorSchema = z.object({ path: z.string(), message: z.string() });

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int().min(400).max(599),
  detail: z.string(),
  code: z.string(),
  instance: z.string().optional(),
  requestId: z.string().optional(),
  errors: z.array(fieldErrorSchema).optional(),
});

// Compile-time proof that the schema and the `Problem` interface of errors.ts stay one shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const problemShapeMatches: Same<z.infer<typeof problemSchema>, Problem> = true;
const fieldErrorShapeMatches: Same<z.infer<typeof fieldErrorSchema>, FieldError> = true;
void problemShapeMatches;
void fieldErrorShapeMatches;

/**
 * `{ 400: problemSchema, 404: problemSchema, … }` for a route's `response` map, so OpenAPI lists
 * the error statuses a route can answer with. Accepts codes (`'NOT_FOUND'`) or raw statuses.
 */
export function problemResponses(...codes: (ErrorCode | number)[]): Record<number, typeof problemSchema> {
  const responses: Record<number, typeof problemSchema> = {};
  for (const code of codes) responses[typeof code === 'number' ? code : ERROR_STATUS[code]] = problemSchema;
  return responses;
}
