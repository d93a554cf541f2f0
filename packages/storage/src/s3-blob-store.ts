import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { assertBlobKey, assertBlobPrefix } from './blob-key.js';
import { pageLimit, toBuffer } from './blob-list.js';
import type { BlobInfo, BlobStore, ListPage, PutOptions } from './blob-store.js';

export interface S3BlobStoreOptions {
  /** `http://minio:9000`; omit for AWS itself. */
  endpoint?: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** `bucket` in the path rather than the host name; defaults to true when `endpoint` is set (MinIO, s3rver). */
  forcePathStyle?: boolean;
}

/** Multipart part size for streams: S3's minimum, so a stream buffers at most a few parts. */
const PART_SIZE = 5 * 1024 * 1024;

/** Objects in one S3 (or MinIO) bucket, keys used as-is. */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client({
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      region: options.region,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      // Recent SDKs add CRC checksums to every request and check them on every response; MinIO
      // and s3rver do not all speak them, and TLS plus Content-Length already cover integrity.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, body: Uint8Array | string | Readable, options: PutOptions = {}): Promise<void> {
    assertBlobKey(key);
    const params = { Bucket: this.bucket, Key: key, ContentType: options.contentType };
    if (body instanceof Readable) {
      // Upload switches to multipart past one part, so a stream of unknown length never sits in memory.
      await new Upload({ client: this.client, params: { ...params, Body: body }, partSize: PART_SIZE, queueSize: 4 }).done();
      return;
    }
    await this.client.send(new PutObjectCommand({ ...params, Body: toBuffer(body) }));
  }

  async get(key: string): Promise<Buffer | null> {
    const body = await this.getBody(key);
    return body ? Buffer.from(await body.transformToByteArray()) : null;
  }

  async getStream(key: string): Promise<Readable | null> {
    const body = await this.getBody(key);
    if (!body) return null;
    // In Node the SDK's body is an http.IncomingMessage, a Readable.
    return body instanceof Readable ? body : Readable.fromWeb(body.transformToWebStream() as WebReadableStream);
  }

  async head(key: string): Promise<BlobInfo | null> {
    assertBlobKey(key);
    try {
      const reply = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      const info: BlobInfo = { key, size: reply.ContentLength ?? 0, lastModified: reply.LastModified ?? new Date(0) };
      if (reply.ContentType !== undefined) info.contentType = reply.ContentType;
      return info;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<ListPage> {
    assertBlobPrefix(prefix);
    const reply = await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: prefix === '' ? undefined : prefix,
        MaxKeys: pageLimit(options.limit),
        ContinuationToken: options.cursor || undefined,
      }),
    );
    const items = (reply.Contents ?? []).flatMap((o): BlobInfo[] =>
      o.Key === undefined ? [] : [{ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) }],
    );
    return { items, cursor: reply.IsTruncated && reply.NextContinuationToken ? reply.NextContinuationToken : null };
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertBlobPrefix(prefix);
    let count = 0;
    // Always list from the start: the objects just deleted are gone, so no token is needed or valid.
    for (;;) {
      const page = await this.list(prefix, { limit: 1000 });
      if (page.items.length === 0) return count;
      const reply = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: page.items.map((item) => ({ Key: item.key })), Quiet: true },
        }),
      );
      const failed = reply.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw new Error(`S3 refused to delete ${failed.length} object(s) under ${JSON.stringify(prefix)}, e.g. ${first?.Key}: ${first?.Code} ${first?.Message}`);
      }
      count += page.items.length;
    }
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  /** Creates the bucket when missing (dev and tests; production buckets are provisioned). */
  async ensureBucket(): Promise<void> {
    try {
      await this.ping();
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async getBody(key: string) {
    assertBlobKey(key);
    try {
      const reply = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return reply.Body ?? null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }
}

function isNotFound(error: unknown): boolean {
  if (error instanceof S3ServiceException) {
    // A missing bucket is a misconfiguration, not an absent object.
    if (error.name === 'NoSuchBucket') return false;
    return error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404;
  }
  return false;
}
