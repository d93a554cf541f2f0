import { AppError, ConflictError, PROBLEM_CONTENT_TYPE, RateLimitedError, ValidationError, toProblem } from '@wagate/contracts';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { InvalidCursorError } from '../history/index.js';
import { PacerQueueFullError, UnsupportedSendError } from '../messages/index.js';
import { InvalidRecipientError } from '../whatsapp/index.js';

/** Worker-internal failures with a meaning the gateway can act on, as AppErrors. */
function asAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof ZodError) return new ValidationError(error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  if (error instanceof InvalidRecipientError || error instanceof InvalidCursorError) return new AppError('BAD_REQUEST', error.message);
  if (error instanceof UnsupportedSendError) return new AppError('UNPROCESSABLE', error.message);
  if (error instanceof PacerQueueFullError) return new RateLimitedError(error.message, { 'retry-after': '5' });
  const fastify = error as Partial<FastifyError>;
  if (fastify.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new AppError('UNSUPPORTED_MEDIA_TYPE');
  if (fastify.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new AppError('PAYLOAD_TOO_LARGE');
  if (fastify.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || fastify.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return new AppError('BAD_REQUEST', 'The body is not valid JSON.');
  }
  if (error instanceof Error && error.message.includes('not connected')) return new ConflictError(error.message, 'SESSION_NOT_CONNECTED');
  return undefined;
}

/** One handler: problem+json, and nothing internal in a 5xx. */
export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const app = asAppError(error);
  if (app === undefined || app.status >= 500) request.log.error({ err: error }, 'Request failed');
  const problem = toProblem(app ?? error, { instance: request.url, requestId: request.id });
  void reply
    .status(problem.status)
    .headers(app?.headers ?? {})
    .type(PROBLEM_CONTENT_TYPE)
    .send(problem);
}
