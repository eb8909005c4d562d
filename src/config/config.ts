import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseCidr } from '../shared/cidr.js';
import { generatePersonalDataKey, parsePersonalDataKeys, type PersonalDataKey } from '../shared/personal-data.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const durationSeconds = z.coerce.number().int().positive();

/** A font file, and for a collection (.ttc, .otc) the PostScript name of the face: "path#Name". */
export interface FontRef {
  path: string;
  name?: string;
}

export function parseFontRef(value: string): FontRef {
  const hash = value.lastIndexOf('#');
  return hash > 0 ? { path: value.slice(0, hash), name: value.slice(hash + 1) } : { path: value };
}

const isCollection = (path: string) => /\.(ttc|otc)$/i.test(path);

/**
 * CJK fonts of Debian packages (fonts-wqy-microhei, fonts-noto-cjk, fonts-wqy-zenhei), tried in
 * this order when REPORT_FONT is not set: printed reports show Chinese names of units and customers.
 */
export const CJK_FONT_CANDIDATES: readonly string[] = [
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc#WenQuanYiMicroHei',
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc#NotoSansCJKsc-Regular',
  '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc#WenQuanYiZenHei',
];

const isValidTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/** Where the data is: all that tools working on the database alone (backup, restore) read. */
const databaseSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().min(1).default('./data'),
});

/** Everything the server reads from its environment, with defaults that let a bare `npm start` work. */
const schema = databaseSchema.extend({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  /**
   * The font of printed reports (PDF), a TrueType/OpenType file or "collection.ttc#PostScriptName".
   * Unset: the first CJK font of CJK_FONT_CANDIDATES on the machine, else the PDF's built-in
   * Helvetica (characters it lacks, such as Chinese, print as "?").
   */
  REPORT_FONT: z
    .string()
    .transform(parseFontRef)
    .refine((f) => existsSync(f.path), 'no such font file')
    .refine(
      (f) => f.name !== undefined || !isCollection(f.path),
      'name the face of a collection: path.ttc#PostScriptName',
    )
    .optional(),
  DEFAULT_TIME_ZONE: z
    .string()
    .default('Asia/Shanghai')
    .refine(isValidTimeZone, 'must be an IANA time zone such as Asia/Shanghai'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /**
   * Keys that no longer sign but still verify, comma-separated: tokens signed before a key rotation
   * keep working until they expire (docs/operations.md, "Rotating the token signing key").
   */
  JWT_PREVIOUS_SECRETS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().min(32, 'every key must be at least 32 characters')))
    .default([]),
  JWT_ISSUER: z.string().min(1).default('metergraph'),
  /**
   * Keys that seal customers' phone and ID numbers: `kid:base64key,...`, 32-byte keys, the first
   * seals new values (docs/operations.md, "Personal data keys").
   */
  PERSONAL_DATA_KEYS: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      for (const issue of parsePersonalDataKeys(value).issues) ctx.addIssue({ code: 'custom', message: issue });
    }),
  JWT_AUDIENCE: z.string().min(1).default('metergraph-api'),
  JWT_ACCESS_TTL: durationSeconds.default(900),
  JWT_REFRESH_TTL: durationSeconds.default(14 * 24 * 3600),
  /** Login policy defaults, for roles and users without a policy of their own. */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  LOGIN_LOCKOUT_MAX_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(3600),
  /** Administrators without a login policy of their own need a one-time code (default: in production). */
  LOGIN_ADMIN_TOTP: bool.optional(),
  /** Failed logins from one address (any accounts) before the address is locked out. */
  LOGIN_ADDRESS_MAX_FAILURES: z.coerce.number().int().min(1).max(10_000).default(20),
  /** Failures are forgotten after this long without another one. */
  LOGIN_FAILURE_MEMORY_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(86_400),
  /**
   * Reverse proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For is believed;
   * from anyone else the header is ignored and the socket address is the client's.
   */
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .refine(
      (v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .every((s) => parseCidr(s) !== null),
      'must be comma-separated addresses or CIDR ranges',
    ),
  /** Key of the audit log's hash chain (HMAC-SHA256). Keep it apart from the database's credentials. */
  AUDIT_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  DEMO: bool.optional(),
  DEMO_LIVE_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
  /** Share of simulated meter-minutes with a fault: ~6 faulty meters a minute among the demo's 300. */
  DEMO_FAULT_RATE: z.coerce.number().min(0).max(1).default(0.02),
  ADMIN_USERNAME: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{3,64}$/, 'must be 3-64 letters, digits, dot, dash or underscore')
    .optional(),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(100),
  MAX_READING_RANGE_DAYS: z.coerce.number().int().min(1).max(3660).default(92),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /** Third-party collector plugins: package names or folders, comma-separated. */
  COLLECTOR_PLUGINS: z.string().default(''),
  /** Redis for events across several server processes; unset: in-process events. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  /**
   * Budgets of operation cost per window (rate limits); on by default except under NODE_ENV=test,
   * where a test that wants them sets RATE_LIMIT=true.
   */
  RATE_LIMIT: bool.optional(),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** Per signed-in user: a dozen operations at the cost limit a minute, or about a thousand small ones. */
  RATE_LIMIT_USER_POINTS: z.coerce.number().int().min(100).default(600_000),
  /** Per client address, for requests without a token (login, refreshToken...): about 35 logins a minute. */
  RATE_LIMIT_ANONYMOUS_POINTS: z.coerce.number().int().min(100).default(10_000),
  PLUGIN_CALL_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** How often collection looks for what is due (schedule slots, opened reading windows, re-collection). */
  COLLECTION_CYCLE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  /** Pause before re-collecting a failed read; doubles with each attempt up to the cap. */
  COLLECTION_RETRY_BASE_MS: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
  COLLECTION_RETRY_CAP_MS: z.coerce.number().int().min(100).max(86_400_000).default(3_600_000),
  /** Finished collection tasks older than this are deleted (readings stay). */
  COLLECTION_TASK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** A collected meter not heard from for this long raises METER_OFFLINE (checked hourly). */
  METER_OFFLINE_HOURS: z.coerce.number().int().min(1).max(8760).default(24),
  /** A meter whose total register did not move for this many days raises STOPPED_METER. */
  METER_STOPPED_DAYS: z.coerce.number().int().min(1).max(365).default(3),
  /**
   * Assessment: a periodic check reading is accurate when the value read in the field is within
   * this many kWh of the automatic value (docs/kpis.md).
   */
  KPI_CHECK_READING_TOLERANCE_KWH: z
    .string()
    .regex(/^\d{1,6}(\.\d{1,4})?$/, 'must be a non-negative number of kWh with at most 4 decimals')
    .default('1'),
  /**
   * Hours between sweeps that plan periodic verification work orders for every station (0: off).
   * Default 24, and off under NODE_ENV=test unless set.
   */
  VERIFICATION_SWEEP_HOURS: z.coerce.number().int().min(0).max(8760).optional(),
  /** Field photos (POST /field/photos): the largest file accepted, bytes (default 10 MiB). */
  PHOTO_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(10 * 1024 * 1024),
  /** Where photos are kept: `disk` (PHOTO_DIR) or `s3` (an S3-compatible object store). */
  PHOTO_STORE: z.enum(['disk', 's3']).default('disk'),
  /** The disk store's folder; default `photos` in DATA_DIR. */
  PHOTO_DIR: z.string().min(1).optional(),
  PHOTO_S3_ENDPOINT: z
    .string()
    .regex(/^https?:\/\/[^/\s]+\/?$/, 'must be an http:// or https:// origin, e.g. https://s3.example.com')
    .optional(),
  PHOTO_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')
    .optional(),
  PHOTO_S3_REGION: z.string().min(1).default('us-east-1'),
  PHOTO_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  PHOTO_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Address objects as endpoint/bucket/key (MinIO and most S3-compatible servers) instead of bucket.endpoint/key. */
  PHOTO_S3_FORCE_PATH_STYLE: bool.default(true),
});

/**
 * Checks across variables. Run on the raw values so that they are reported together with the
 * per-variable errors (a failed schema skips refinements).
 */
function crossIssues(raw: Record<string, string | undefined>): string[] {
  const issues: string[] = [];
  if ((raw.ADMIN_USERNAME === undefined) !== (raw.ADMIN_PASSWORD === undefined)) {
    const missing = raw.ADMIN_USERNAME === undefined ? 'ADMIN_USERNAME' : 'ADMIN_PASSWORD';
    issues.push(`${missing}: ADMIN_USERNAME and ADMIN_PASSWORD must be set together`);
  }
  if (raw.NODE_ENV === 'production' && !raw.JWT_SECRET) {
    issues.push('JWT_SECRET: is required in production (development secrets are never generated there)');
  }
  if (raw.NODE_ENV === 'production' && !raw.AUDIT_KEY) {
    issues.push('AUDIT_KEY: is required in production (development secrets are never generated there)');
  }
  if (raw.PHOTO_STORE === 's3') {
    for (const name of ['PHOTO_S3_ENDPOINT', 'PHOTO_S3_BUCKET', 'PHOTO_S3_ACCESS_KEY_ID', 'PHOTO_S3_SECRET_ACCESS_KEY'])
      if (!raw[name]) issues.push(`${name}: is required when PHOTO_STORE=s3`);
  }
  if (raw.NODE_ENV === 'production' && !raw.PERSONAL_DATA_KEYS) {
    issues.push('PERSONAL_DATA_KEYS: is required in production (development secrets are never generated there)');
  }
  return issues;
}

export type Env = z.infer<typeof schema>;

export interface Config {
  env: Env['NODE_ENV'];
  isProduction: boolean;
  port: number;
  host: string;
  database: { url?: string; poolMax: number };
  dataDir: string;
  defaultTimeZone: string;
  jwt: {
    /** Signs new access tokens (and verifies them). */
    secret: string;
    /** Verify only: keys rotated out, accepted until removed. */
    previousSecrets: string[];
    issuer: string;
    audience: string;
    accessTtl: number;
    refreshTtl: number;
  };
  audit: { key: Buffer };
  login: {
    maxFailures: number;
    lockoutSeconds: number;
    lockoutMaxSeconds: number;
    addressMaxFailures: number;
    failureMemorySeconds: number;
    trustedProxies: string[];
    adminTotp: boolean;
  };
  /** Keys for personal data at rest; the first seals new values. */
  personalData: { keys: PersonalDataKey[] };
  demo: { enabled: boolean; liveIntervalMs: number; faultRate: number };
  admin?: { username: string; password: string };
  logLevel: Env['LOG_LEVEL'];
  maxPageSize: number;
  maxReadingRangeDays: number;
  shutdownTimeoutMs: number;
  collectors: {
    plugins: string[];
    callTimeoutMs: number;
    cycleMs: number;
    retryBaseMs: number;
    retryCapMs: number;
    taskRetentionDays: number;
    offlineAfterHours: number;
    stoppedAfterDays: number;
  };
  redisUrl?: string;
  rateLimit: { enabled: boolean; windowSeconds: number; userPoints: number; anonymousPoints: number };
  /** Hours between periodic verification sweeps; 0 when off. */
  verificationSweepHours: number;
  /** Printed reports: their font; undefined means the PDF's built-in Latin font. */
  reports: { font?: FontRef };
  /** Assessment (KPIs): the tolerance of a check reading, kWh as a decimal string. */
  assessment: { checkReadingToleranceKwh: string };
  /** Field photos: the size limit and where they are kept. */
  photos: PhotoConfig;
}

/** An S3-compatible object store (AWS S3, MinIO, Ceph RGW...), signed with AWS Signature V4. */
export interface S3Config {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
}

export interface PhotoConfig {
  maxBytes: number;
  store: 'disk' | 's3';
  /** The disk store's folder (absolute). */
  dir: string;
  /** Set when `store` is s3. */
  s3?: S3Config;
}

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

interface DevelopmentSecrets {
  jwtSecret?: string;
  auditKey?: string;
  /** In the format of PERSONAL_DATA_KEYS. */
  personalDataKeys?: string;
}

/**
 * Development secrets live in DATA_DIR so that tokens and sealed personal data survive a restart;
 * production must be given them explicitly (enforced above). Each secret is generated the first
 * time it is needed and added to the file next to the ones already there.
 */
function developmentSecret(dataDir: string, name: keyof DevelopmentSecrets, generate: () => string): string {
  const file = join(dataDir, 'dev-secrets.json');
  const saved: DevelopmentSecrets = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const existing = saved[name];
  if (existing) return existing;
  mkdirSync(dataDir, { recursive: true });
  const value = generate();
  writeFileSync(file, JSON.stringify({ ...saved, [name]: value }, null, 2), { mode: 0o600 });
  return value;
}

// Empty strings count as unset: `FOO= npm start` should mean "use the default".
const withoutEmpty = (source: NodeJS.ProcessEnv) =>
  Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));

const issuesOf = (error: z.ZodError) =>
  error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);

export type DatabaseConfig = Pick<Config, 'database' | 'dataDir'>;

/**
 * Only the database settings, for tools that need nothing else: a nightly backup in production
 * should not need JWT_SECRET, nor create development secrets in DATA_DIR. Throws ConfigError.
 */
export function loadDatabaseConfig(source: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const parsed = databaseSchema.safeParse(withoutEmpty(source));
  if (!parsed.success) throw new ConfigError(issuesOf(parsed.error));
  const env = parsed.data;
  return { database: { url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX }, dataDir: resolve(env.DATA_DIR) };
}

function personalDataKeys(configured: string | undefined, dataDir: string): PersonalDataKey[] {
  if (configured) return parsePersonalDataKeys(configured).keys; // checked by the schema
  const { keys, issues } = parsePersonalDataKeys(
    developmentSecret(dataDir, 'personalDataKeys', () => generatePersonalDataKey('dev1')),
  );
  if (issues.length)
    throw new ConfigError(issues.map((i) => `personalDataKeys in ${join(dataDir, 'dev-secrets.json')}: ${i}`));
  return keys;
}

/** Parses the environment, reporting every problem at once. Throws ConfigError. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = withoutEmpty(source);
  const parsed = schema.safeParse(cleaned);
  const issues = [...(parsed.success ? [] : issuesOf(parsed.error)), ...crossIssues(cleaned)];
  if (!parsed.success || issues.length) throw new ConfigError(issues);
  const env = parsed.data;
  const dataDir = resolve(env.DATA_DIR);
  const embedded = !env.DATABASE_URL;
  return {
    env: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    port: env.PORT,
    host: env.HOST,
    database: { url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX },
    dataDir,
    defaultTimeZone: env.DEFAULT_TIME_ZONE,
    jwt: {
      secret: env.JWT_SECRET ?? developmentSecret(dataDir, 'jwtSecret', () => randomBytes(48).toString('base64url')),
      previousSecrets: env.JWT_PREVIOUS_SECRETS,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      accessTtl: env.JWT_ACCESS_TTL,
      refreshTtl: env.JWT_REFRESH_TTL,
    },
    login: {
      maxFailures: env.LOGIN_MAX_FAILURES,
      lockoutSeconds: env.LOGIN_LOCKOUT_SECONDS,
      lockoutMaxSeconds: env.LOGIN_LOCKOUT_MAX_SECONDS,
      addressMaxFailures: env.LOGIN_ADDRESS_MAX_FAILURES,
      failureMemorySeconds: env.LOGIN_FAILURE_MEMORY_SECONDS,
      adminTotp: env.LOGIN_ADMIN_TOTP ?? env.NODE_ENV === 'production',
      trustedProxies: env.TRUSTED_PROXIES.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    },
    audit: {
      key: Buffer.from(
        env.AUDIT_KEY ?? developmentSecret(dataDir, 'auditKey', () => randomBytes(48).toString('base64url')),
        'utf8',
      ),
    },
    personalData: { keys: personalDataKeys(env.PERSONAL_DATA_KEYS, dataDir) },
    // The demo is on by default only where it cannot hurt: the embedded database outside production.
    demo: {
      enabled: env.DEMO ?? (embedded && env.NODE_ENV !== 'production'),
      liveIntervalMs: env.DEMO_LIVE_INTERVAL_MS,
      faultRate: env.DEMO_FAULT_RATE,
    },
    admin:
      env.ADMIN_USERNAME && env.ADMIN_PASSWORD
        ? { username: env.ADMIN_USERNAME, password: env.ADMIN_PASSWORD }
        : undefined,
    logLevel: env.LOG_LEVEL,
    maxPageSize: env.MAX_PAGE_SIZE,
    maxReadingRangeDays: env.MAX_READING_RANGE_DAYS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    redisUrl: env.REDIS_URL,
    reports: {
      font: env.REPORT_FONT ?? CJK_FONT_CANDIDATES.map(parseFontRef).find((f) => existsSync(f.path)),
    },
    assessment: { checkReadingToleranceKwh: env.KPI_CHECK_READING_TOLERANCE_KWH },
    verificationSweepHours: env.VERIFICATION_SWEEP_HOURS ?? (env.NODE_ENV === 'test' ? 0 : 24),
    photos: {
      maxBytes: env.PHOTO_MAX_BYTES,
      store: env.PHOTO_STORE,
      dir: resolve(env.PHOTO_DIR ?? join(dataDir, 'photos')),
      s3:
        env.PHOTO_STORE === 's3'
          ? {
              endpoint: env.PHOTO_S3_ENDPOINT!.replace(/\/$/, ''),
              bucket: env.PHOTO_S3_BUCKET!,
              region: env.PHOTO_S3_REGION,
              accessKeyId: env.PHOTO_S3_ACCESS_KEY_ID!,
              secretAccessKey: env.PHOTO_S3_SECRET_ACCESS_KEY!,
              forcePathStyle: env.PHOTO_S3_FORCE_PATH_STYLE,
            }
          : undefined,
    },
    rateLimit: {
      enabled: env.RATE_LIMIT ?? env.NODE_ENV !== 'test',
      windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
      userPoints: env.RATE_LIMIT_USER_POINTS,
      anonymousPoints: env.RATE_LIMIT_ANONYMOUS_POINTS,
    },
    collectors: {
      plugins: env.COLLECTOR_PLUGINS.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      callTimeoutMs: env.PLUGIN_CALL_TIMEOUT_MS,
      cycleMs: env.COLLECTION_CYCLE_MS,
      retryBaseMs: env.COLLECTION_RETRY_BASE_MS,
      retryCapMs: env.COLLECTION_RETRY_CAP_MS,
      taskRetentionDays: env.COLLECTION_TASK_RETENTION_DAYS,
      offlineAfterHours: env.METER_OFFLINE_HOURS,
      stoppedAfterDays: env.METER_STOPPED_DAYS,
    },
  };
}
