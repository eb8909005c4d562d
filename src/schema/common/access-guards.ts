import {
  defaultFieldResolver,
  getNamedType,
  isLeafType,
  isNonNullType,
  isObjectType,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import type { FieldAccess } from '../../auth/ability.js';
import { PERSONAL_FIELDS, SHAREABLE_SUBJECTS, type Subject } from '../../auth/permissions.js';
import { forbidden } from '../../shared/errors.js';
import type { Context } from './context.js';
import { createLoaders } from './loaders.js';

/**
 * The fields of an object type that field rules govern: its own values (scalars and enums), not
 * its ID, and not its relations and lists, which follow the rules of the subject they lead to.
 * These are the field names that rules and sharing grants may list.
 */
export function ruleFields(type: GraphQLObjectType): string[] {
  return Object.values(type.getFields())
    .filter((field) => field.name !== 'id' && isLeafType(getNamedType(field.type)))
    .map((field) => field.name)
    .sort();
}

/** The GraphQL object type a subject's rows are shown as (the same name, but for stored rules). */
export function objectTypeOf(schema: GraphQLSchema, subject: Subject): GraphQLObjectType | undefined {
  const type = schema.getType(subject === 'RolePermission' ? 'PermissionRule' : subject);
  return isObjectType(type) ? type : undefined;
}

const isPersonal = (subject: Subject, field: string) =>
  subject === 'Customer' && (PERSONAL_FIELDS as readonly string[]).includes(field);

/** The path of the unit a row belongs to; org units carry their own. */
function rowPath(ctx: Context, subject: Subject, row: { id: number | string; path?: string }): Promise<string | null> {
  if (subject === 'OrgUnit' && row.path) return Promise.resolve(row.path);
  return ctx.loaders.orgPath.load(`${subject}:${row.id}`);
}

/**
 * Read access to one field of one row. Only when the rules make it depend on the row (a grant
 * that shares some fields) is the row's unit looked up, batched per request; otherwise the
 * type-level answer is the row's and nothing is queried.
 */
export function fieldAccessOf(
  ctx: Context,
  subject: Subject,
  field: string,
  row: { id: number | string; path?: string },
): FieldAccess | Promise<FieldAccess> {
  if (!ctx.access.fieldsVaryByRow(subject)) return ctx.access.fieldAccess(subject, field);
  return rowPath(ctx, subject, row).then((path) =>
    path === null ? 'HIDDEN' : ctx.access.fieldAccess(subject, field, path),
  );
}

/**
 * Applies field rules to every value field of the subjects that can be shared, wherever the object
 * appears (root lists, by id, node, nested relations, subscriptions). A field the rules do not give
 * reads as null, or, when the schema does not allow null, fails with FORBIDDEN at its path.
 * Personal data denied by a rule is left to its resolver, which masks it as before. Users whose
 * rules name no fields (the usual case) pay one check per field and nothing else.
 */
export function guardFields(schema: GraphQLSchema): void {
  for (const subject of SHAREABLE_SUBJECTS) {
    const type = objectTypeOf(schema, subject);
    if (!type) continue;
    const fields = type.getFields();
    for (const name of ruleFields(type)) {
      const field = fields[name]!;
      const resolve: GraphQLFieldResolver<unknown, Context> = field.resolve ?? defaultFieldResolver;
      const nullable = !isNonNullType(field.type);
      const decide = (access: FieldAccess, run: () => unknown) => {
        if (access === 'READABLE' || (access === 'MASKED' && isPersonal(subject, name))) return run();
        if (nullable) return null;
        throw forbidden(`${subject}.${name} is not readable for you on this row`);
      };
      field.resolve = (root, args, ctx: Context, info) => {
        const run = () => resolve(root, args, ctx, info);
        if (!ctx.access.limitsFields(subject)) return run();
        const access = fieldAccessOf(ctx, subject, name, root as { id: number });
        return access instanceof Promise ? access.then((a) => decide(a, run)) : decide(access, run);
      };
    }
  }
}

/**
 * Sharing grants are read-only: every mutation runs with the caller's role rules alone. So a
 * shared row can neither be changed nor serve as the unit, box, meter or customer of a write (a new
 * meter in a shared unit, a login for a shared customer), and a grant cannot be passed on.
 */
export function writesWithoutGrants(schema: GraphQLSchema): void {
  const mutation = schema.getMutationType();
  if (!mutation) return;
  for (const field of Object.values(mutation.getFields())) {
    const resolve: GraphQLFieldResolver<unknown, Context> = field.resolve ?? defaultFieldResolver;
    field.resolve = (root, args, ctx: Context, info) => {
      if (ctx.access.grantIds.length) {
        ctx.access = ctx.access.withoutGrants();
        ctx.loaders = createLoaders(ctx.em, ctx.access, ctx.config.defaultTimeZone);
      }
      return resolve(root, args, ctx, info);
    };
  }
}
