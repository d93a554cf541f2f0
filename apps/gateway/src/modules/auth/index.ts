export { createAccessTokens, JWT_AUDIENCE, JWT_ISSUER } from './access-tokens.js';
export type { AccessTokens } from './access-tokens.js';
export { createRefreshTokensRepository } from './refresh-tokens.repository.js';
export type { RefreshTokensRepository } from './refresh-tokens.repository.js';
export { createAuthService } from './auth.service.js';
export type { AuthService, LoginGuard } from './auth.service.js';
export { authRoutes } from './auth.routes.js';
export { createAuthenticator } from './authenticator.js';
export { hashPassword } from './password.js';
