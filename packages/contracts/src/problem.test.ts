import { describe, expect, it } from 'vitest';
import { AppError, ConflictError, NotFoundError, RateLimitedError, toProblem, ValidationError } from './errors.js';
import { problemResponses, problemSchema } from './problem.js';

describe('toProblem', () => {
  it('maps an AppError to its code and status', () => {
    const problem = toProblem(new NotFoundError('Session'), { instance: '/api/v1/sessions/x', requestId: 'req-1' });
    expect(problem).toEqual({
      type: 'https://wagate.dev/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: 'Session not found.',
      code: 'NOT_FOUND',
      instance: '/api/v1/sessions/x',
      requestId: 'req-1',
    });
    expect(toProblem(new ConflictError('Not connected.', 'SESSION_NOT_CONNECTED'))).toMatchObject({
      status: 409,
      code: 'SESSION_NOT_CONNECTED',
    });
    expect(toProblem(new RateLimitedError('Slow down.', { 'Retry-After': '5' }))).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
  });

  it('keeps field errors of a validation failure', () => {
    const problem = toProblem(new ValidationError([{ path: 'to', message: 'bad' }]));
    expect(problem).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', errors: [{ path: 'to', message: 'bad' }] });
  });

  it('turns a plain Error into a generic 500 without leaking its message or stack', () => {
    const problem = toProblem(new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2'));
    expect(problem).toMatchObject({ status: 500, code: 'INTERNAL', detail: 'An unexpected error occurred.' });
    const body = JSON.stringify(problem);
    expect(body).not.toContain('hunter2');
    expect(body).not.toContain('10.0.0.7');
    expect(body).not.toContain('at ');
  });

  it('treats thrown non-errors the same way', () => {
    expect(toProblem('boom')).toMatchObject({ status: 500, code: 'INTERNAL' });
    expect(toProblem(undefined)).toMatchObject({ status: 500, code: 'INTERNAL' });
  });

  it('produces bodies that match problemSchema', () => {
    for (const error of [new NotFoundError(), new AppError('NO_WORKER_AVAILABLE'), new Error('x')]) {
      expect(problemSchema.safeParse(toProblem(error)).success).toBe(true);
    }
  });
});

describe('problemResponses', () => {
  it('maps codes and statuses to the problem schema', () => {
    const responses = problemResponses('VALIDATION_FAILED', 'NOT_FOUND', 'SESSION_NOT_CONNECTED', 503);
    expect(Object.keys(responses).sort()).toEqual(['400', '404', '409', '503']);
    expect(responses[404]).toBe(problemSchema);
  });
});
