import { AppError, PROBLEM_CONTENT_TYPE, ValidationError, toProblem, type ErrorCode, type FieldError } from '@wagate/contracts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/** Fastify's own 4xx errors, by code, mapped to our stable codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

function fieldPath(context: string | undefined, instancePath: string | undefined): string {
  const inner = (instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  const where = context === 'querystring' ? 'query' : (context ?? 'body');
  return inner ? `${where}.${inner}` : where;
}

/** Turns whatever was thrown into an AppError; unknown errors stay unknown (→ generic 500). */
export function normalizeError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as { validationContext?: string }).validationContext;
    const errors: FieldError[] = error.validation.map((v) => ({
      path: fieldPath(context, v.instancePath),
      message: v.message ?? 'is invalid',
    }));
    return new ValidationError(errors);
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.code && FASTIFY_CODES[fastifyError.code]) {
    return new AppError(FASTIFY_CODES[fastifyError.code]!, fastifyError.message);
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new AppError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(STATUS_CODES[status] ?? 'BAD_REQUEST', fastifyError.message ?? 'Bad request.');
  }
  return undefined;
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const appError = normalizeError(error);
  if (!appError || appError.status >= 500) {
    // Full detail goes to the log only; the client gets a generic problem with the request id.
    request.log.error({ err: error }, 'request failed');
  }
  const problem = toProblem(appError ?? error, { instance: request.url.split('?')[0] ?? '/', requestId: request.id });
  for (const [name, value] of Object.entries(appError?.headers ?? {})) reply.header(name, value);
  return reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).serializer(JSON.stringify).send(problem);
}

/** A route path (`/api/v1/sessions/:id`, `/docs/*`) as a matcher of concrete paths. */
function pathMatcher(url: string): RegExp {
  const body = url
    .split('/')
    .map((part) => {
      if (part === '*') return '.*';
      if (part.startsWith(':')) return '[^/]+';
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  // Trailing slashes are ignored by the router (ignoreTrailingSlash), so here too.
  return new RegExp(`^${body.replace(/\/$/, '')}/?$`);
}

/**
 * Remembers every route's path and methods so the not-found handler can tell "no such path" (404)
 * from "path exists, wrong method" (405 with `Allow`), which Fastify's router does not distinguish.
 */
function createRouteTable(app: FastifyInstance): (path: string) => string[] {
  const routes: { matcher: RegExp; methods: string[] }[] = [];
  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).map(String);
    routes.push({ matcher: pathMatcher(route.url), methods });
  });
  return (path) => {
    const allowed = new Set<string>();
    for (const r of routes) if (r.matcher.test(path)) for (const m of r.methods) allowed.add(m);
    return [...allowed].sort();
  };
}

/** The single error and not-found handler: every failure leaves as RFC 9457 problem+json. */
export function registerErrorHandling(app: FastifyInstance): void {
  const allowedMethods = createRouteTable(app);
  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, error));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allow = allowedMethods(path);
    if (allow.length > 0 && !allow.includes(request.method)) {
      const error = new AppError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}.`, { headers: { allow: allow.join(', ') } });
      return sendProblem(request, reply, error);
    }
    return sendProblem(request, reply, new AppError('NOT_FOUND', `No route for ${request.method} ${path}.`));
  });
}
