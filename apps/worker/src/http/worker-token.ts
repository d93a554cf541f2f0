import { timingSafeEqual, createHash } from 'node:crypto';
import { UnauthorizedError } from '@wagate/contracts';
import type { FastifyRequest } from 'fastify';

/**
 * The tokens the gateway may use: the bootstrap WORKER_TOKEN and, after registration, the
 * per-worker token it handed out. Compared as SHA-256 digests in constant time.
 */
export class WorkerTokens {
  readonly #digests = new Set<string>();

  constructor(...tokens: string[]) {
    for (const t of tokens) this.add(t);
  }

  add(token: string): void {
    this.#digests.add(digest(token).toString('hex'));
  }

  accepts(token: string): boolean {
    const candidate = digest(token);
    let ok = false;
    for (const hex of this.#digests) if (timingSafeEqual(Buffer.from(hex, 'hex'), candidate)) ok = true;
    return ok;
  }

  /** Fastify preHandler: `Authorization: Bearer <token>`. */
  check(request: FastifyRequest): void {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') === true ? header.slice(7).trim() : undefined;
    if (token === undefined || token === '' || !this.accepts(token)) throw new UnauthorizedError('A valid worker token is required.');
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
