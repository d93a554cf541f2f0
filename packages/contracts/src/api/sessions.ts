import { z } from 'zod';
import { connectMethod, id, isoDateTime, listOf, phoneNumber, sessionStatus } from './common.js';

export const sessionName = z.string().trim().min(1).max(100);

/** `workerId` is filled for ADMIN callers only; the serializer drops it when absent. */
export const session = z.object({
  id,
  name: z.string(),
  status: sessionStatus,
  phoneNumber: z.string().nullable(),
  workerId: z.string().nullable().optional(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  lastActivityAt: isoDateTime.nullable(),
});
export type Session = z.infer<typeof session>;

export const sessionResponse = z.object({ session });
export type SessionResponse = z.infer<typeof sessionResponse>;
export const sessionList = listOf(session);
export type SessionList = z.infer<typeof sessionList>;

/** Route parameters `:id` and `:id/api-keys/:keyId`. */
export const sessionParams = z.object({ id });
export type SessionParams = z.infer<typeof sessionParams>;
export const apiKeyParams = z.object({ id, keyId: id });
export type ApiKeyParams = z.infer<typeof apiKeyParams>;

// API keys ------------------------------------------------------------------------------------

export const createApiKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  expiresAt: isoDateTime.optional(),
});
export type CreateApiKeyBody = z.infer<typeof createApiKeyBody>;

/** A key as listed: only the visible prefix, never the secret. */
export const apiKey = z.object({
  id,
  name: z.string(),
  prefix: z.string(),
  createdAt: isoDateTime,
  expiresAt: isoDateTime.nullable(),
  lastUsedAt: isoDateTime.nullable(),
});
export type ApiKey = z.infer<typeof apiKey>;

/** The one response that carries the full key; it is stored hashed and cannot be shown again. */
export const apiKeyCreated = apiKey.extend({ key: z.string() });
export type ApiKeyCreated = z.infer<typeof apiKeyCreated>;

export const apiKeyCreatedResponse = z.object({ apiKey: apiKeyCreated });
export type ApiKeyCreatedResponse = z.infer<typeof apiKeyCreatedResponse>;
export const apiKeyList = listOf(apiKey);
export type ApiKeyList = z.infer<typeof apiKeyList>;

// Lifecycle -----------------------------------------------------------------------------------

export const createSessionBody = z.strictObject({ name: sessionName });
export type CreateSessionBody = z.infer<typeof createSessionBody>;

/** 201 of `POST /sessions`: the card plus its first API key, shown once. */
export const createSessionResponse = z.object({ session, apiKey: apiKeyCreated });
export type CreateSessionResponse = z.infer<typeof createSessionResponse>;

/**
 * Pairing by code needs the number that will type it; a refinement says so with a field path.
 * Fastify hands a bodyless POST over as `null`, and "connect" with no body means "by QR", so an
 * absent body reads as `{}` (a preprocess still converts to JSON Schema: the object's).
 */
export const connectSessionBody = z.preprocess(
  (body) => body ?? {},
  z
    .strictObject({ method: connectMethod.optional(), phoneNumber: phoneNumber.optional() })
    .refine((body) => body.method !== 'pairing_code' || body.phoneNumber !== undefined, {
      path: ['phoneNumber'],
      message: 'phoneNumber is required when method is pairing_code',
    }),
);
export type ConnectSessionBody = z.infer<typeof connectSessionBody>;

/** `image` is the QR as a PNG data URL, ready for an `<img src>`. */
export const qrResponse = z.object({
  qr: z.string(),
  image: z.string().startsWith('data:image/png;base64,'),
  expiresAt: isoDateTime,
});
export type QrResponse = z.infer<typeof qrResponse>;

export const pairingCodeResponse = z.object({ code: z.string(), expiresAt: isoDateTime });
export type PairingCodeResponse = z.infer<typeof pairingCodeResponse>;
