/**
 * Settings schemas (since 1.3): how a plugin describes the settings of its devices and points,
 * without tying itself to one validation library or one major version of it. A schema is either
 * - any Standard Schema validator (https://standardschema.dev): zod 3.24+ and 4, Valibot, ArkType
 *   and others implement it; the SDK's own `z` (zod 4) is one, so plugins written for 1.0 to 1.2
 *   keep working; or
 * - a plain JSON Schema object (draft-07, or 2020-12 when its `$schema` says so), validated with
 *   Ajv; `default`s fill in missing fields, as zod's `.default()` does.
 *
 * Whichever it is, the host validates settings with it before they reach the plugin, and shows the
 * problems to administrators with the path of each offending field.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { Ajv, type ErrorObject } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { CollectorError } from './errors.js';

export type { StandardSchemaV1 };

/**
 * A JSON Schema for settings: plain data, e.g. `{ type: 'object', properties: { host: { type:
 * 'string' } }, required: ['host'] }`. Told apart from a Standard Schema by having no `~standard`.
 */
export interface JsonSchema {
  /** Which draft: 2020-12 when it says so (`https://json-schema.org/draft/2020-12/schema`), draft-07 otherwise. */
  readonly $schema?: string;
  /** For settings, `object`. */
  readonly type?: string | readonly string[];
  /** Any other keyword of the draft (`properties`, `required`, `default`, `pattern`...). */
  readonly [keyword: string]: unknown;
}

/** What a plugin may give as `deviceSchema` or `pointSchema`. */
export type SettingsSchema = StandardSchemaV1 | JsonSchema;

/** The settings a schema gives the plugin: a Standard Schema's output type, an object for JSON Schema. */
export type SettingsOf<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : Record<string, unknown>;

/** One problem with settings: the path of the offending field (empty for the whole) and what is wrong. */
export interface SettingsIssue {
  /** Field names (and array indexes as strings) from the top of the settings, e.g. `['meter', 'address']`. */
  readonly path: readonly string[];
  /** What is wrong, from the validator, e.g. "must match pattern ...". */
  readonly message: string;
}

/** Valid settings (defaults filled in, as the plugin will see them), or the problems. */
export type SettingsResult<T> =
  { readonly value: T; readonly issues?: undefined } | { readonly issues: readonly SettingsIssue[] };

/** True when `schema` is a Standard Schema validator (it has `~standard` with a `validate`). */
export function isStandardSchema(schema: unknown): schema is StandardSchemaV1 {
  const props = (schema as { '~standard'?: { validate?: unknown } } | null)?.['~standard'];
  return typeof props?.validate === 'function';
}

/** A JSON Schema validator and its issues in the SDK's form. */
function jsonSchemaValidator(schema: JsonSchema): StandardSchemaV1<unknown, Record<string, unknown>> {
  const options = { allErrors: true, useDefaults: true, strict: false } as const;
  const ajv = String(schema.$schema ?? '').includes('2020-12') ? new Ajv2020(options) : new Ajv(options);
  // Compiled at definition time: a malformed schema shows up in the plugin's own tests.
  const validate = ajv.compile(schema);
  const issue = (e: ErrorObject): StandardSchemaV1.Issue => {
    const path = e.instancePath
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    // A missing field is reported on its parent: name the field itself.
    if (e.keyword === 'required') path.push(String((e.params as { missingProperty: string }).missingProperty));
    if (e.keyword === 'additionalProperties')
      path.push(String((e.params as { additionalProperty: string }).additionalProperty));
    return { path, message: e.message ?? `fails ${e.keyword}` };
  };
  return {
    '~standard': {
      version: 1,
      vendor: 'metergraph-json-schema',
      validate: (value) => {
        // Defaults are filled into a copy: the caller's value stays as it was.
        const copy = value === undefined ? undefined : structuredClone(value);
        return validate(copy)
          ? { value: copy as Record<string, unknown> }
          : { issues: (validate.errors ?? []).map(issue) };
      },
    },
  };
}

/**
 * The schema as a Standard Schema validator: itself when it is one, an Ajv-backed one for JSON
 * Schema. Throws a TypeError for anything else (so that `defineCollector` fails at load time).
 */
export function standardSchemaOf<S extends SettingsSchema>(schema: S): StandardSchemaV1<unknown, SettingsOf<S>> {
  if (isStandardSchema(schema)) return schema as StandardSchemaV1<unknown, SettingsOf<S>>;
  if (typeof schema === 'object' && schema !== null && !Array.isArray(schema))
    return jsonSchemaValidator(schema) as StandardSchemaV1<unknown, SettingsOf<S>>;
  throw new TypeError('a settings schema is a Standard Schema validator (zod, valibot...) or a JSON Schema object');
}

/** A Standard Schema issue in the SDK's form: the path as strings. */
export function settingsIssue(issue: StandardSchemaV1.Issue): SettingsIssue {
  const path = (issue.path ?? []).map((segment) =>
    String(typeof segment === 'object' && segment !== null ? segment.key : segment),
  );
  return { path, message: issue.message };
}

/**
 * Validates settings with any settings schema. Resolves with the settings as the plugin will see
 * them (defaults filled in), or with every problem; never rejects for invalid settings (a schema
 * that itself throws does reject).
 */
export async function validateSettings<S extends SettingsSchema>(
  schema: S,
  value: unknown,
): Promise<SettingsResult<SettingsOf<S>>> {
  const result = await standardSchemaOf(schema)['~standard'].validate(value);
  return result.issues ? { issues: result.issues.map(settingsIssue) } : { value: result.value };
}

/** "address: must be 12 decimal digits; port: Required" */
export const describeIssues = (issues: readonly SettingsIssue[]): string =>
  issues.map((i) => `${i.path.join('.') || '(settings)'}: ${i.message}`).join('; ');

/**
 * The settings as the plugin sees them, or a {@link CollectorError} `misconfigured` naming `what`
 * and every problem (such settings will not work until somebody changes them).
 */
export async function parseSettings<S extends SettingsSchema>(
  schema: S,
  value: unknown,
  what: string,
): Promise<SettingsOf<S>> {
  const result = await validateSettings(schema, value);
  if (result.issues) throw new CollectorError('misconfigured', `${what}: ${describeIssues(result.issues)}`);
  return result.value;
}
