// The id of the HTTP request being served, reachable from code that has no request object (the
// worker client), so a call to a worker carries the same x-request-id and the two log lines join.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';

const storage = new AsyncLocalStorage<{ requestId: string }>();

/** The current request's id, or undefined outside a request (background jobs). */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** Runs the rest of each request's lifecycle inside its context (callback hook: `done` continues the chain). */
export function registerRequestContext(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    storage.run({ requestId: request.id }, done);
  });
}

/** For jobs and tests: runs `fn` as if serving request `requestId`. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}
