/**
 * Transport-agnostic errors. Services throw these; one handler per HTTP app maps them to
 * RFC 9457 problem+json through `toProblem`. Codes are stable: clients branch on them.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  CONFLICT: 409,
  SESSION_NOT_CONNECTED: 409,
  SESSION_NOT_AWAITING_QR: 409,
  STALE_EPOCH: 409,
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  // A count cap (sessions per tier): waiting does not help, so not 429 with Retry-After.
  QUOTA_EXCEEDED: 403,
  INTERNAL: 500,
  BAD_GATEWAY: 502,
  NO_WORKER_AVAILABLE: 503,
  SERVICE_UNAVAILABLE: 503,
  WORKER_UNREACHABLE: 503,
  GATEWAY_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

const TITLES: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'Validation failed',
  BAD_REQUEST: 'Bad request',
  UNAUTHORIZED: 'Unauthorized',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  NOT_ACCEPTABLE: 'Not acceptable',
  CONFLICT: 'Conflict',
  SESSION_NOT_CONNECTED: 'Session not connected',
  SESSION_NOT_AWAITING_QR: 'Session not awaiting a QR scan',
  STALE_EPOCH: 'Stale epoch',
  GONE: 'Gone',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency key reused with a different request',
  UNPROCESSABLE: 'Unprocessable request',
  RATE_LIMITED: 'Too many requests',
  QUOTA_EXCEEDED: 'Quota exceeded',
  INTERNAL: 'Internal error',
  BAD_GATEWAY: 'Bad gateway',
  NO_WORKER_AVAILABLE: 'No worker available',
  SERVICE_UNAVAILABLE: 'Service unavailable',
  WORKER_UNREACHABLE: 'Worker unreachable',
  GATEWAY_TIMEOUT: 'Gateway timeout',
};

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  /** Extra response headers (for example `Retry-After`). */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message?: string,
    options: { errors?: FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message ?? TITLES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export class ValidationError extends AppError {
  constructor(errors: FieldError[], message = 'The request is not valid.') {
    super('VALIDATION_FAILED', message, { errors });
  }
}
export class BadRequestError extends AppError {
  constructor(message: string) {
    super('BAD_REQUEST', message);
  }
}
export class UnauthorizedError extends AppError {
  constructor(message = 'Missing or invalid credentials.') {
    super('UNAUTHORIZED', message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message = 'You may not do this.') {
    super('FORBIDDEN', message);
  }
}
export class NotFoundError extends AppError {
  constructor(what = 'Resource') {
    super('NOT_FOUND', `${what} not found.`);
  }
}
export class ConflictError extends AppError {
  constructor(message: string, code: 'CONFLICT' | 'SESSION_NOT_CONNECTED' | 'SESSION_NOT_AWAITING_QR' | 'STALE_EPOCH' = 'CONFLICT') {
    super(code, message);
  }
}
export class RateLimitedError extends AppError {
  constructor(message: string, headers: Record<string, string>) {
    super('RATE_LIMITED', message, { headers });
  }
}
/** A plan's fixed allowance is used up (e.g. sessions per tier): delete something or upgrade. */
export class QuotaExceededError extends AppError {
  constructor(message: string) {
    super('QUOTA_EXCEEDED', message);
  }
}
export class ServiceUnavailableError extends AppError {
  constructor(message: string, code: 'SERVICE_UNAVAILABLE' | 'NO_WORKER_AVAILABLE' | 'WORKER_UNREACHABLE' = 'SERVICE_UNAVAILABLE') {
    super(code, message);
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 body. `code` is our stable machine string. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
}

const TYPE_BASE = 'https://wagate.dev/problems/';

export function problemType(code: string): string {
  return TYPE_BASE + code.toLowerCase().replaceAll('_', '-');
}

/**
 * Maps any thrown value to a problem. Only `AppError` details reach the client: anything else
 * becomes a generic 500 so internals (stack traces, SQL, worker addresses) never leak.
 */
export function toProblem(error: unknown, context: { instance?: string; requestId?: string } = {}): Problem {
  const app = error instanceof AppError ? error : new AppError('INTERNAL', 'An unexpected error occurred.');
  const problem: Problem = {
    type: problemType(app.code),
    title: TITLES[app.code],
    status: app.status,
    detail: app.message,
    code: app.code,
  };
  if (context.instance !== undefined) problem.instance = context.instance;
  if (context.requestId !== undefined) problem.requestId = context.requestId;
  if (app.errors !== undefined) problem.errors = app.errors;
  return problem;
}

/** Rebuilds an AppError from a problem received over HTTP (worker → gateway). */
export function fromProblem(problem: Pick<Problem, 'code' | 'detail'> & { errors?: FieldError[] }): AppError {
  const code = (problem.code in ERROR_STATUS ? problem.code : 'INTERNAL') as ErrorCode;
  return new AppError(code, problem.detail, problem.errors === undefined ? {} : { errors: problem.errors });
}
