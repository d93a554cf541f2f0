'use client';
import { useState } from 'react';
import { ErrorAlert, Loading } from '@/components/ui';
import { api } from '@/lib/api';
import { useAuth } from '@/lib/auth';
import { formatTime } from '@/lib/hooks';
import { useList } from '@/lib/list';
import type { Role, Tier, User } from '@/lib/types';

export default function AdminUsers() {
  const users = useList<User>('/api/v1/admin/users');
  const { user: me } = useAuth();
  const [error, setError] = useState<unknown>();

  const update = async (user: User, patch: Partial<Pick<User, 'tier' | 'role' | 'isActive'>>) => {
    setError(undefined);
    try {
      const res = await api<{ user: User }>('PATCH', `/api/v1/admin/users/${encodeURIComponent(user.id)}`, patch);
      users.replace((u) => (u.id === user.id ? res.user : u));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      <h1>Users</h1>
      <ErrorAlert error={error ?? users.error} />
      <section className="card">
        {users.loading && users.items.length === 0 ? (
          <Loading />
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Tier</th>
                  <th scope="col">Role</th>
                  <th scope="col">Active</th>
                  <th scope="col">Joined</th>
                </tr>
              </thead>
              <tbody>
                {users.items.map((u) => (
                  <tr key={u.id}>
                    <td>{u.email}</td>
                    <td>
                      <select aria-label={`Tier of ${u.email}`} value={u.tier} onChange={(e) => void update(u, { tier: e.target.value as Tier })}>
                        {['BASIC', 'PRO', 'MAX'].map((t) => (
                          <option key={t}>{t}</option>
                        ))}
                      </select>
                    </td>
                    <td>
                      <select aria-label={`Role of ${u.email}`} value={u.role} disabled={u.id === me?.id} onChange={(e) => void update(u, { role: e.target.value as Role })}>
                        {['USER', 'ADMIN'].map((r) => (
                          <option key={r}>{r}</option>
                        ))}
                      </select>
                    </td>
                    <td>
                      <input type="checkbox" aria-label={`${u.email} is active`} checked={u.isActive} disabled={u.id === me?.id} onChange={(e) => void update(u, { isActive: e.target.checked })} />
                    </td>
                    <td>{formatTime(u.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {users.more && (
          <button type="button" className="btn" onClick={() => void users.loadMore()}>
            Load more
          </button>
        )}
      </section>
    </>
  );
}
