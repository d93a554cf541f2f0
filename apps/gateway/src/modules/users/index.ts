export { createUsersRepository, userView } from './users.repository.js';
export type { ListUsersInput, UserPatch, UserRow, UsersRepository, UserView } from './users.repository.js';
export { createUserStatusCache, userStatusCacheKey } from './user-status.js';
export type { UserStatus, UserStatusCache } from './user-status.js';
