import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CJK_FONT_CANDIDATES, ConfigError, loadConfig, loadDatabaseConfig, parseFontRef } from './config.js';

describe('loadConfig', () => {
  it('starts with no configuration at all, generating a development secret kept in DATA_DIR', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-config-'));
    const config = loadConfig({ DATA_DIR: dir });
    expect(config.port).toBe(4000);
    expect(config.defaultTimeZone).toBe('Asia/Shanghai');
    expect(config.demo.enabled).toBe(true);
    expect(config.jwt.secret.length).toBeGreaterThanOrEqual(32);
    expect(JSON.parse(readFileSync(join(dir, 'dev-secrets.json'), 'utf8')).jwtSecret).toBe(config.jwt.secret);
    expect(loadConfig({ DATA_DIR: dir }).jwt.secret).toBe(config.jwt.secret);
    // The audit key joins the same file without replacing the JWT secret.
    expect(loadConfig({ DATA_DIR: dir }).audit.key.equals(config.audit.key)).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'dev-secrets.json'), 'utf8')).jwtSecret).toBe(config.jwt.secret);
  });

  it('reports every problem at once', () => {
    try {
      loadConfig({
        PORT: 'abc',
        DATABASE_URL: 'mysql://x',
        DEFAULT_TIME_ZONE: 'Mars/Base',
        ADMIN_USERNAME: 'root',
        NODE_ENV: 'production',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const issues = (error as ConfigError).issues.map((i) => i.split(':')[0]).sort();
      expect(issues).toEqual([
        'ADMIN_PASSWORD',
        'AUDIT_KEY',
        'DATABASE_URL',
        'DEFAULT_TIME_ZONE',
        'JWT_SECRET',
        'PERSONAL_DATA_KEYS',
        'PORT',
      ]);
    }
  });

  it('never generates secrets in production and keeps the demo off on PostgreSQL', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(40),
      AUDIT_KEY: 'a'.repeat(40),
      PERSONAL_DATA_KEYS: `prod-2026:${randomBytes(32).toString('base64')}`,
      DATABASE_URL: 'postgres://localhost/db',
    });
    expect(config.jwt.secret).toBe('x'.repeat(40));
    expect(config.audit.key.toString()).toBe('a'.repeat(40));
    expect(config.personalData.keys.map((k) => k.id)).toEqual(['prod-2026']);
    expect(config.demo.enabled).toBe(false);
  });

  it('reads only the database settings for backup and restore: no JWT_SECRET needed, no secret written', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mg-config-')), 'data');
    const config = loadDatabaseConfig({ NODE_ENV: 'production', DATA_DIR: dir, DATABASE_URL: 'postgres://h/db' });
    expect(config).toEqual({ database: { url: 'postgres://h/db', poolMax: 10 }, dataDir: dir });
    expect(existsSync(dir)).toBe(false);
    expect(() => loadDatabaseConfig({ DATABASE_URL: 'mysql://x' })).toThrow(ConfigError);
  });

  it('generates a personal data key once next to an existing JWT secret, and prefers configured keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-config-'));
    // A data directory from before personal data keys: only the JWT secret.
    writeFileSync(join(dir, 'dev-secrets.json'), JSON.stringify({ jwtSecret: 'j'.repeat(64) }));
    const config = loadConfig({ DATA_DIR: dir });
    expect(config.jwt.secret).toBe('j'.repeat(64));
    const [key] = config.personalData.keys;
    expect(key!.id).toBe('dev1');
    expect(key!.key).toHaveLength(32);
    const saved = JSON.parse(readFileSync(join(dir, 'dev-secrets.json'), 'utf8'));
    expect(saved).toEqual({
      jwtSecret: 'j'.repeat(64),
      auditKey: expect.any(String),
      personalDataKeys: `dev1:${key!.key.toString('base64')}`,
    });
    expect(loadConfig({ DATA_DIR: dir }).personalData.keys[0]!.key.equals(key!.key)).toBe(true);

    const configured = `k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`;
    expect(loadConfig({ DATA_DIR: dir, PERSONAL_DATA_KEYS: configured }).personalData.keys.map((k) => k.id)).toEqual([
      'k2',
      'k1',
    ]);
  });

  it('reports malformed personal data keys without echoing them', () => {
    const short = randomBytes(16).toString('base64');
    try {
      loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'mg-config-')), PERSONAL_DATA_KEYS: `k1:${short},:x` });
      expect.unreachable();
    } catch (error) {
      const issues = (error as ConfigError).issues;
      expect(issues).toHaveLength(2);
      expect(issues.every((i) => i.startsWith('PERSONAL_DATA_KEYS: '))).toBe(true);
      expect(issues.join(' ')).not.toContain(short);
    }
  });
});

describe('REPORT_FONT', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-font-'));
  const ttf = join(dir, 'font.ttf');
  writeFileSync(ttf, 'not really a font');

  it('takes a font file, or a face of a collection by its PostScript name', () => {
    expect(loadConfig({ DATA_DIR: dir, REPORT_FONT: ttf }).reports.font).toEqual({ path: ttf });
    const ttc = join(dir, 'fonts.ttc');
    writeFileSync(ttc, '');
    expect(loadConfig({ DATA_DIR: dir, REPORT_FONT: `${ttc}#Face-Regular` }).reports.font).toEqual({
      path: ttc,
      name: 'Face-Regular',
    });
    expect(() => loadConfig({ DATA_DIR: dir, REPORT_FONT: ttc })).toThrow(/REPORT_FONT: name the face/);
    expect(() => loadConfig({ DATA_DIR: dir, REPORT_FONT: join(dir, 'missing.ttf') })).toThrow(
      /REPORT_FONT: no such font file/,
    );
  });

  it('falls back to the first CJK font of the machine, or none', () => {
    const font = loadConfig({ DATA_DIR: dir }).reports.font;
    const found = CJK_FONT_CANDIDATES.map(parseFontRef).find((f) => existsSync(f.path));
    expect(font).toEqual(found);
  });
});

describe('field photos', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'mg-config-'));

  it('keeps photos on disk in DATA_DIR by default, up to 10 MiB each', () => {
    const data = dir();
    const config = loadConfig({ DATA_DIR: data });
    expect(config.photos).toEqual({ maxBytes: 10 * 1024 * 1024, store: 'disk', dir: join(data, 'photos') });
    expect(loadConfig({ DATA_DIR: data, PHOTO_DIR: join(data, 'elsewhere') }).photos.dir).toBe(join(data, 'elsewhere'));
  });

  it('needs the endpoint, bucket and keys of an S3 store, all reported at once', () => {
    try {
      loadConfig({ DATA_DIR: dir(), PHOTO_STORE: 's3', PHOTO_S3_BUCKET: 'Not_A_Bucket', PHOTO_MAX_BYTES: '10' });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).issues.map((i) => i.split(':')[0]).sort()).toEqual([
        'PHOTO_MAX_BYTES',
        'PHOTO_S3_ACCESS_KEY_ID',
        'PHOTO_S3_BUCKET',
        'PHOTO_S3_ENDPOINT',
        'PHOTO_S3_SECRET_ACCESS_KEY',
      ]);
    }
    const config = loadConfig({
      DATA_DIR: dir(),
      PHOTO_STORE: 's3',
      PHOTO_S3_ENDPOINT: 'http://127.0.0.1:9000/',
      PHOTO_S3_BUCKET: 'field-photos',
      PHOTO_S3_ACCESS_KEY_ID: 'minio',
      PHOTO_S3_SECRET_ACCESS_KEY: 'minio-secret',
      PHOTO_S3_FORCE_PATH_STYLE: 'false',
    });
    expect(config.photos.s3).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      bucket: 'field-photos',
      region: 'us-east-1',
      accessKeyId: 'minio',
      secretAccessKey: 'minio-secret',
      forcePathStyle: false,
    });
  });
});
