import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadDatabaseConfig } from './config.js';

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
        'PORT',
      ]);
    }
  });

  it('never generates secrets in production and keeps the demo off on PostgreSQL', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(40),
      AUDIT_KEY: 'a'.repeat(40),
      DATABASE_URL: 'postgres://localhost/db',
    });
    expect(config.jwt.secret).toBe('x'.repeat(40));
    expect(config.audit.key.toString()).toBe('a'.repeat(40));
    expect(config.demo.enabled).toBe(false);
  });

  it('reads only the database settings for backup and restore: no JWT_SECRET needed, no secret written', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mg-config-')), 'data');
    const config = loadDatabaseConfig({ NODE_ENV: 'production', DATA_DIR: dir, DATABASE_URL: 'postgres://h/db' });
    expect(config).toEqual({ database: { url: 'postgres://h/db', poolMax: 10 }, dataDir: dir });
    expect(existsSync(dir)).toBe(false);
    expect(() => loadDatabaseConfig({ DATABASE_URL: 'mysql://x' })).toThrow(ConfigError);
  });
});
