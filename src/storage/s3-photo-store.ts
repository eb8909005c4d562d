import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { S3Config } from '../config/config.js';
import { checkStorageKey, type PhotoStore } from './photo-store.js';

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytesOf = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

/** SHA-256 for the signer, from node:crypto (HMAC when given a secret). */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

export const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
export const EMPTY_SHA256 = sha256Hex('');

export interface S3Request {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** Hex SHA-256 of the body (x-amz-content-sha256). */
  payloadHash: string;
}

/**
 * Signs a request with AWS Signature Version 4 (header-based, the body's hash in
 * x-amz-content-sha256, as S3 wants it) and returns the headers to send. The URL's path must
 * already be percent-encoded: S3 signs it as sent, without a second encoding.
 */
export async function signS3Request(
  credentials: Pick<S3Config, 'accessKeyId' | 'secretAccessKey' | 'region'>,
  request: S3Request,
  at = new Date(),
  service = 's3',
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    region: credentials.region,
    service,
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const query: Record<string, string> = {};
  for (const [name, value] of request.url.searchParams) query[name] = value;
  const lower = Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      port: request.url.port ? Number(request.url.port) : undefined,
      path: request.url.pathname,
      query,
      headers: {
        ...lower,
        host: request.url.host,
        ...(service === 's3' ? { 'x-amz-content-sha256': request.payloadHash } : {}),
      },
    },
    { signingDate: at },
  );
  return signed.headers;
}

/** How long one request to the object store may take. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Photos in a bucket of an S3-compatible object store (AWS S3, MinIO, Ceph RGW...), over its REST
 * API with Signature V4. Path-style addressing (endpoint/bucket/key) by default, which every
 * S3-compatible server takes; virtual-hosted style (bucket.endpoint/key) when configured.
 */
export class S3PhotoStore implements PhotoStore {
  readonly kind = 's3';

  constructor(
    private readonly config: S3Config,
    private readonly send: typeof fetch = fetch,
  ) {}

  /** The object's URL. Keys are made by the server (digits, hex, '-', '/', '.'): nothing to escape. */
  urlOf(key: string): URL {
    const endpoint = new URL(this.config.endpoint);
    const path = checkStorageKey(key)
      .split('/')
      .map((segment) => encodeURIComponent(segment))
      .join('/');
    if (this.config.forcePathStyle) return new URL(`${endpoint.origin}/${this.config.bucket}/${path}`);
    return new URL(`${endpoint.protocol}//${this.config.bucket}.${endpoint.host}/${path}`);
  }

  private async request(method: string, key: string, body?: Buffer, headers: Record<string, string> = {}) {
    const url = this.urlOf(key);
    const signed = await signS3Request(this.config, {
      method,
      url,
      headers,
      payloadHash: body ? sha256Hex(body) : EMPTY_SHA256,
    });
    return this.send(url, {
      method,
      headers: signed,
      body: body ? new Uint8Array(body) : undefined,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  }

  /** An error naming the operation and the store's answer (its XML error code), never the credentials. */
  private static async failure(operation: string, response: Response): Promise<Error> {
    const text = await response.text().catch(() => '');
    const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1];
    return new Error(`S3 ${operation} failed: HTTP ${response.status}${code ? ` ${code}` : ''}`);
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    const response = await this.request('PUT', key, body, {
      'content-type': contentType,
      'content-length': String(body.length),
    });
    if (!response.ok) throw await S3PhotoStore.failure('PUT', response);
    await response.arrayBuffer();
  }

  async get(key: string): Promise<Buffer | null> {
    const response = await this.request('GET', key);
    if (response.status === 404) {
      await response.arrayBuffer();
      return null;
    }
    if (!response.ok) throw await S3PhotoStore.failure('GET', response);
    return Buffer.from(await response.arrayBuffer());
  }

  async delete(key: string): Promise<void> {
    const response = await this.request('DELETE', key);
    await response.arrayBuffer();
    if (!response.ok && response.status !== 404) throw await S3PhotoStore.failure('DELETE', response);
  }
}
