import type { AdminSession, Session } from '@wagate/contracts';
import type { schema } from '../../db/index.js';

type SessionRow = schema.SessionRow;

/**
 * The public shape of a session row. `workerId` is an operational detail (which machine runs
 * it): only an ADMIN sees it, so a tenant cannot map the fleet.
 */
export function sessionView(row: SessionRow, options: { admin: boolean }): Session {
  const view: Session = {
    id: row.id,
    name: row.name,
    status: row.status,
    phoneNumber: row.phoneNumber,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    lastActivityAt: row.lastActivityAt?.toISOString() ?? null,
  };
  if (options.admin) view.workerId = row.workerId;
  return view;
}

/** The admin list's shape: every session with its owner and worker. */
export function adminSessionView(row: SessionRow): AdminSession {
  return { ...sessionView(row, { admin: true }), userId: row.userId, workerId: row.workerId };
}
