import { z } from 'zod';
import {
  base64Payload,
  httpUrl,
  id,
  isoDateTime,
  LIMITS,
  listOf,
  listQuery,
  messageStatus,
  mimetype,
  phoneNumber,
  recipient,
} from './common.js';

/**
 * `POST /api/v1/messages` and the message view. The send body is a discriminated union on `type`
 * whose text branch defaults `type` to `"text"`: JSON Schema shows it as a `oneOf` with a
 * `default`, and the parsed value always carries its type.
 */

/** What a client can send. `edit` and `delete` extend API.md additively. */
export const SEND_MESSAGE_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'location',
  'contact',
  'reaction',
  'poll',
  'edit',
  'delete',
] as const;
export const sendMessageType = z.enum(SEND_MESSAGE_TYPES);
export type SendMessageType = z.infer<typeof sendMessageType>;

/** What a stored message can be: anything sendable, plus `unknown` for received content we do not map. */
export const MESSAGE_TYPES = [...SEND_MESSAGE_TYPES, 'unknown'] as const;
export const messageType = z.enum(MESSAGE_TYPES);
export type MessageType = z.infer<typeof messageType>;

/**
 * WhatsApp's content keys (fields of its `Message` proto) → our type names. The worker maps received
 * messages with it and the sandbox labels what a virtual phone decrypted, so both speak the same words.
 */
export const WHATSAPP_CONTENT_TYPES: Readonly<Record<string, MessageType>> = {
  conversation: 'text',
  extendedTextMessage: 'text',
  imageMessage: 'image',
  videoMessage: 'video',
  ptvMessage: 'video',
  audioMessage: 'audio',
  documentMessage: 'document',
  documentWithCaptionMessage: 'document',
  stickerMessage: 'sticker',
  locationMessage: 'location',
  liveLocationMessage: 'location',
  contactMessage: 'contact',
  contactsArrayMessage: 'contact',
  reactionMessage: 'reaction',
  pollCreationMessage: 'poll',
  pollCreationMessageV2: 'poll',
  pollCreationMessageV3: 'poll',
};

// Field shapes shared by the request (strict, refined) and the view (plain) ---------------------

const text = z.string().min(1).max(LIMITS.textMaxChars);
const caption = z.string().max(LIMITS.captionMaxChars);
const filename = z.string().min(1).max(LIMITS.filenameMaxChars);

const locationFields = {
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  name: z.string().max(256).optional(),
  address: z.string().max(512).optional(),
};

const reactionFields = {
  messageId: id,
  /** An empty string removes our earlier reaction. 32 code units fit any ZWJ emoji sequence. */
  emoji: z.string().max(32),
};

// Media -----------------------------------------------------------------------------------------

function mediaMimetype(prefix: string, example: string) {
  return mimetype.regex(new RegExp(`^${prefix}`, 'i'), `must be a ${prefix}* MIME type such as ${example}`);
}

const exactlyOneSource = {
  check: (media: { url?: string | undefined; base64?: string | undefined }) =>
    (media.url === undefined) !== (media.base64 === undefined),
  params: { message: 'give exactly one of media.url or media.base64' },
};

function mediaInput<M extends z.ZodType<string>>(mime: M, withCaption: boolean) {
  const base = z.strictObject({
    url: httpUrl.optional(),
    base64: base64Payload.optional(),
    mimetype: mime,
    filename: filename.optional(),
    caption: caption.optional(),
  });
  // Audio and stickers have nowhere to show a caption, so one is refused rather than dropped.
  const shaped = withCaption ? base : base.omit({ caption: true });
  return shaped.refine(exactlyOneSource.check, exactlyOneSource.params);
}

export const imageMedia = mediaInput(mediaMimetype('image/', 'image/jpeg'), true);
export const videoMedia = mediaInput(mediaMimetype('video/', 'video/mp4'), true);
export const audioMedia = mediaInput(mediaMimetype('audio/', 'audio/ogg; codecs=opus'), false);
export const documentMedia = mediaInput(mimetype, true);
export const stickerMedia = mediaInput(mimetype.regex(/^image\/webp$/i, 'stickers must be image/webp'), false);
export type MediaInput = z.infer<typeof documentMedia>;

// Other payloads ----------------------------------------------------------------------------

export const locationInput = z.strictObject(locationFields);

/** A contact card: a raw vCard, or a name and number we turn into one. */
export const contactInput = z.union([
  z.strictObject({
    vcard: z
      .string()
      .max(LIMITS.vcardMaxChars)
      .regex(/^BEGIN:VCARD\r?\n[\s\S]*END:VCARD\s*$/, 'must be a vCard from BEGIN:VCARD to END:VCARD'),
  }),
  z.strictObject({ name: z.string().trim().min(1).max(256), phone: phoneNumber }),
]);

export const reactionInput = z.strictObject(reactionFields);

export const pollInput = z
  .strictObject({
    name: z.string().trim().min(1).max(LIMITS.pollNameMaxChars),
    options: z
      .array(z.string().trim().min(1).max(LIMITS.pollOptionMaxChars))
      .min(LIMITS.pollOptionsMin)
      .max(LIMITS.pollOptionsMax)
      .refine((options) => new Set(options).size === options.length, 'poll options must be unique'),
    /** How many options a voter may pick; 0 lets them pick any number (WhatsApp's convention). */
    selectableCount: z.int().min(0).max(LIMITS.pollOptionsMax).default(1),
  })
  .refine((poll) => poll.selectableCount <= poll.options.length, {
    path: ['selectableCount'],
    message: 'selectableCount cannot exceed the number of options',
  });

export const editInput = z.strictObject({ messageId: id, text });
/** `forEveryone: false` only hides the message on our own device. */
export const deleteInput = z.strictObject({ messageId: id, forEveryone: z.boolean().default(true) });

// The send body -------------------------------------------------------------------------------

/** Reply and mention fields make sense only on content, not on reactions, edits or deletes. */
const content = {
  to: recipient,
  replyTo: id.optional(),
  mentions: z.array(recipient).min(1).max(LIMITS.mentionsMax).optional(),
};

export const sendTextBody = z.strictObject({ ...content, type: z.literal('text').default('text'), text });
export const sendImageBody = z.strictObject({ ...content, type: z.literal('image'), media: imageMedia });
export const sendVideoBody = z.strictObject({ ...content, type: z.literal('video'), media: videoMedia });
export const sendAudioBody = z.strictObject({
  ...content,
  type: z.literal('audio'),
  media: audioMedia,
  /** Send as a voice note (push-to-talk) rather than an audio file; wants audio/ogg; codecs=opus. */
  ptt: z.boolean().default(false),
});
export const sendDocumentBody = z.strictObject({ ...content, type: z.literal('document'), media: documentMedia });
export const sendStickerBody = z.strictObject({ ...content, type: z.literal('sticker'), media: stickerMedia });
export const sendLocationBody = z.strictObject({ ...content, type: z.literal('location'), location: locationInput });
export const sendContactBody = z.strictObject({ ...content, type: z.literal('contact'), contact: contactInput });
export const sendPollBody = z.strictObject({ ...content, type: z.literal('poll'), poll: pollInput });
export const sendReactionBody = z.strictObject({ to: recipient, type: z.literal('reaction'), reaction: reactionInput });
export const sendEditBody = z.strictObject({ to: recipient, type: z.literal('edit'), edit: editInput });
export const sendDeleteBody = z.strictObject({ to: recipient, type: z.literal('delete'), delete: deleteInput });

export const sendMessageBody = z.discriminatedUnion('type', [
  sendTextBody,
  sendImageBody,
  sendVideoBody,
  sendAudioBody,
  sendDocumentBody,
  sendStickerBody,
  sendLocationBody,
  sendContactBody,
  sendReactionBody,
  sendPollBody,
  sendEditBody,
  sendDeleteBody,
]);
/** The parsed body: `type` is always present. */
export type SendMessageBody = z.infer<typeof sendMessageBody>;
/** What a client may post: `type` may be absent for text. */
export type SendMessageInput = z.input<typeof sendMessageBody>;
export type SendMessageOf<T extends SendMessageType> = Extract<SendMessageBody, { type: T }>;

/** Same key within 24 h → the original response, no second WhatsApp message. */
export const sendMessageHeaders = z.object({ 'idempotency-key': z.string().min(1).max(255).optional() });
export type SendMessageHeaders = z.infer<typeof sendMessageHeaders>;

// The message view ------------------------------------------------------------------------------

/** Media as stored: bytes are fetched from `/messages/:messageId/media`, never inlined. */
export const messageMedia = z.object({
  mimetype: z.string(),
  filename: z.string().optional(),
  caption: z.string().optional(),
  size: z.int().min(0).optional(),
  sha256: z.string().optional(),
  ptt: z.boolean().optional(),
});
export type MessageMedia = z.infer<typeof messageMedia>;

export const message = z.object({
  id,
  sessionId: id,
  chatId: z.string(),
  from: z.string(),
  to: z.string(),
  fromMe: z.boolean(),
  type: messageType,
  text: z.string().optional(),
  media: messageMedia.optional(),
  location: z.object(locationFields).optional(),
  contact: z.object({ name: z.string().optional(), phone: z.string().optional(), vcard: z.string().optional() }).optional(),
  reaction: z.object(reactionFields).optional(),
  poll: z.object({ name: z.string(), options: z.array(z.string()), selectableCount: z.int().min(0) }).optional(),
  replyTo: z.string().optional(),
  mentions: z.array(z.string()).optional(),
  status: messageStatus,
  timestamp: isoDateTime,
  editedAt: isoDateTime.optional(),
  deletedAt: isoDateTime.optional(),
});
export type Message = z.infer<typeof message>;

export const messageResponse = z.object({ message });
export type MessageResponse = z.infer<typeof messageResponse>;
export const messageList = listOf(message);
export type MessageList = z.infer<typeof messageList>;

export const messageParams = z.object({ messageId: id });
export type MessageParams = z.infer<typeof messageParams>;

/** `?chatId=&before=&limit=&cursor=`; `before` is an exclusive upper bound on `timestamp`. */
export const messageListQuery = listQuery.extend({
  chatId: recipient.optional(),
  before: isoDateTime.optional(),
});
export type MessageListQuery = z.infer<typeof messageListQuery>;
