import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskPhotoStore } from './disk-photo-store.js';
import { createPhotoStore } from './create-photo-store.js';
import { newStorageKey } from './photo-store.js';
import { EMPTY_SHA256, S3PhotoStore, sha256Hex, signS3Request } from './s3-photo-store.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0 meter box')]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('IHDR...')]);

describe('DiskPhotoStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-photos-'));
  const store = new DiskPhotoStore(join(dir, 'photos'));

  it('keeps a photo under its key, reads it back whole and deletes it', async () => {
    const key = newStorageKey('jpg', new Date('2026-11-26T10:00:00Z'));
    expect(key).toMatch(/^2026\/11\/[0-9a-f-]{36}\.jpg$/);
    await store.put(key, JPEG);
    expect(await store.get(key)).toEqual(JPEG);
    // Written to a temporary name and renamed: nothing else is left in the folder.
    expect(readdirSync(join(dir, 'photos', '2026', '11'))).toEqual([key.split('/')[2]]);
    await store.delete(key);
    expect(await store.get(key)).toBeNull();
    await store.delete(key); // a missing photo is not an error
  });

  it('takes only keys the server makes: no way out of its folder', async () => {
    for (const key of ['../../etc/passwd', '2026/11/../../x.jpg', '/abs.jpg', '2026/11/name.jpg'])
      await expect(store.put(key, JPEG, 'image/jpeg'), key).rejects.toThrow(/not a photo storage key/);
  });

  it('is what the configuration names by default', () => {
    expect(createPhotoStore({ maxBytes: 1024, store: 'disk', dir }).kind).toBe('disk');
  });
});

/**
 * The S3 store is tested against AWS's published Signature Version 4 examples (no S3-compatible
 * server is installable here from Debian: python3-moto is not packaged for this release), and
 * against a local HTTP stand-in that checks every request it receives is signed as sent.
 */
describe('S3 signing (AWS Signature Version 4 published examples)', () => {
  const s3Docs = {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    region: 'us-east-1',
  };
  const may24 = new Date('2013-05-24T00:00:00Z');
  const signatureOf = (headers: Record<string, string>) =>
    /Signature=([0-9a-f]{64})$/.exec(headers.authorization!)?.[1];

  it('signs the S3 guide\'s "GET Object" example (a Range header)', async () => {
    const headers = await signS3Request(
      s3Docs,
      {
        method: 'GET',
        url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
        headers: { Range: 'bytes=0-9' },
        payloadHash: EMPTY_SHA256,
      },
      may24,
    );
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
    expect(headers['x-amz-date']).toBe('20130524T000000Z');
  });

  it('signs the guide\'s "GET Bucket Lifecycle" and "GET Bucket (List Objects)" examples (queries)', async () => {
    const bucket = (query: string) =>
      signS3Request(
        s3Docs,
        { method: 'GET', url: new URL(`https://examplebucket.s3.amazonaws.com/${query}`), payloadHash: EMPTY_SHA256 },
        may24,
      );
    expect(signatureOf(await bucket('?lifecycle'))).toBe(
      'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543',
    );
    expect(signatureOf(await bucket('?max-keys=2&prefix=J'))).toBe(
      '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7',
    );
  });

  it("signs the generic test suite's get-vanilla and post-vanilla requests", async () => {
    const suite = {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      region: 'us-east-1',
    };
    const at = new Date('2015-08-30T12:36:00Z');
    const vanilla = (method: string) =>
      signS3Request(
        suite,
        { method, url: new URL('https://example.amazonaws.com/'), payloadHash: EMPTY_SHA256 },
        at,
        'service',
      );
    expect((await vanilla('GET')).authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, ' +
        'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(signatureOf(await vanilla('POST'))).toBe('5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b');
  });

  it('computes the payload hash of the guide\'s "PUT Object" body', () => {
    expect(sha256Hex('Welcome to Amazon S3.')).toBe('44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
  });
});

describe('S3PhotoStore', () => {
  const credentials = {
    accessKeyId: 'field-app',
    secretAccessKey: 'field-app-secret-0123456789',
    region: 'cn-south-1',
  };
  const objects = new Map<string, { body: Buffer; contentType: string }>();
  const refused: string[] = [];
  let endpoint: string;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const problem = await checkSigned(req, body);
      if (problem) {
        refused.push(problem);
        res
          .writeHead(403, { 'content-type': 'application/xml' })
          .end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
        return;
      }
      const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
      if (req.method === 'PUT') {
        objects.set(path, { body, contentType: String(req.headers['content-type']) });
        res.writeHead(200).end();
      } else if (req.method === 'GET') {
        const object = objects.get(path);
        if (!object)
          res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
        else res.writeHead(200, { 'content-type': object.contentType }).end(object.body);
      } else if (req.method === 'DELETE') {
        objects.delete(path);
        res.writeHead(204).end();
      } else res.writeHead(405).end();
    });
  });

  /**
   * What an S3 server checks: the body's hash is the one signed, and the signature over the
   * headers as they arrived (after fetch) is the one sent.
   */
  async function checkSigned(req: IncomingMessage, body: Buffer): Promise<string | undefined> {
    const auth = String(req.headers.authorization ?? '');
    const signedNames = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
    if (req.headers['x-amz-content-sha256'] !== sha256Hex(body)) return 'payload hash';
    const date = String(req.headers['x-amz-date']);
    const at = new Date(
      `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
    );
    const headers = Object.fromEntries(
      signedNames
        .filter((h) => !['host', 'x-amz-date', 'x-amz-content-sha256'].includes(h))
        .map((h) => [h, String(req.headers[h])]),
    );
    const expected = await signS3Request(
      credentials,
      {
        method: req.method!,
        url: new URL(req.url!, `http://${req.headers.host}`),
        headers,
        payloadHash: sha256Hex(body),
      },
      at,
    );
    return expected.authorization === auth ? undefined : `signature of ${req.method} ${req.url}`;
  }

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  const config = () => ({ endpoint, bucket: 'field-photos', forcePathStyle: true, ...credentials });

  it('puts, gets and deletes a photo in the bucket, path-style, every request signed as sent', async () => {
    const store = createPhotoStore({ maxBytes: 1024, store: 's3', dir: '/unused', s3: config() });
    expect(store.kind).toBe('s3');
    const key = newStorageKey('png');
    await store.put(key, PNG, 'image/png');
    expect(objects.get(`/field-photos/${key}`)).toEqual({ body: PNG, contentType: 'image/png' });
    expect(await store.get(key)).toEqual(PNG);
    await store.delete(key);
    expect(objects.size).toBe(0);
    expect(await store.get(key)).toBeNull();
    expect(refused).toEqual([]);
  });

  it("reports a refusal with the store's error code and no credentials", async () => {
    const store = new S3PhotoStore({ ...config(), secretAccessKey: 'a-wrong-secret-0123456789' });
    const attempt = store.put(newStorageKey('jpg'), JPEG, 'image/jpeg');
    await expect(attempt).rejects.toThrow('S3 PUT failed: HTTP 403 SignatureDoesNotMatch');
    await attempt.catch((e: Error) => expect(e.message).not.toContain('secret'));
    expect(refused.length).toBe(1);
  });

  it('addresses objects virtual-hosted style when path style is off', () => {
    const store = new S3PhotoStore({ ...config(), endpoint: 'https://s3.example.com', forcePathStyle: false });
    expect(store.urlOf('2026/11/0b0e8a3c-5a43-4c43-8a77-6a9b7d2f4e10.jpg').href).toBe(
      'https://field-photos.s3.example.com/2026/11/0b0e8a3c-5a43-4c43-8a77-6a9b7d2f4e10.jpg',
    );
  });
});
