import { createDecipheriv } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import { generateWAMessageContent, getContentType, getMediaKeys, MEDIA_PATH_MAP, normalizeMessageContent, proto } from 'baileys';
import type { AnyMessageContent, MediaType, WAMediaUploadFunction } from 'baileys';
import type { MediaStore } from './phone-network.js';

const MEDIA_TYPES: Record<string, MediaType> = {
  imageMessage: 'image',
  videoMessage: 'video',
  audioMessage: 'audio',
  documentMessage: 'document',
  stickerMessage: 'sticker',
};

/** Builds message content the way a WhatsApp client does, uploading media to the sim's host. */
export async function buildContent(content: AnyMessageContent, store: MediaStore | undefined): Promise<proto.IMessage> {
  const upload: WAMediaUploadFunction = async (encFilePath, { mediaType }) => {
    if (store === undefined) throw new Error('the simulator has no media host');
    return store.put(await readFile(encFilePath), MEDIA_PATH_MAP[mediaType] || '/mms/file');
  };
  return generateWAMessageContent(content, { upload });
}

/** Downloads and decrypts the media of a received message (no TLS: straight from the store). */
export async function downloadMedia(message: proto.IMessage, store: MediaStore | undefined): Promise<Buffer> {
  const content = normalizeMessageContent(message);
  const kind = content === undefined ? undefined : getContentType(content);
  const type = kind === undefined ? undefined : MEDIA_TYPES[kind];
  // The content key names a media message, whose shape all carry mediaKey/directPath/url.
  const media = kind === undefined || content == null ? undefined : (content[kind] as { mediaKey?: Uint8Array | null; directPath?: string | null; url?: string | null } | undefined);
  if (type === undefined || media?.mediaKey == null) throw new Error('not a media message');
  const blob = store?.get(media.directPath ?? media.url ?? '');
  if (blob === undefined) throw new Error('media not found on the media host');
  const { cipherKey, iv } = await getMediaKeys(media.mediaKey, type);
  // The file is AES-256-CBC ciphertext followed by a 10-byte MAC.
  const decipher = createDecipheriv('aes-256-cbc', cipherKey, iv);
  return Buffer.concat([decipher.update(blob.subarray(0, blob.length - 10)), decipher.final()]);
}

/** An empty initial-bootstrap history sync, inline (no media download needed). */
export function initialHistoryMessage(): proto.IMessage {
  const syncType = proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP;
  const payload = deflateSync(proto.HistorySync.encode({ syncType, progress: 100, conversations: [], pushnames: [] }).finish());
  return {
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
      historySyncNotification: { syncType, progress: 100, chunkOrder: 0, initialHistBootstrapInlinePayload: payload },
    },
  };
}
