import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { DEFAULT_VEE_PARAMS, VALIDATION_RULES, type ValidationRule, type VeeParams } from '../../billing/vee-rules.js';
import { CustomerCategory, Meter, OrgUnit, VeeRuleSet } from '../../orm/entities/index.js';
import { effectiveTimeZones } from '../../orm/org-time-zone.js';
import { decimal } from '../../shared/formats.js';
import { badField, conflict, notFound } from '../../shared/errors.js';
import { VEE_RULES, type VeeRuleName } from '../../shared/reading-flags.js';
import { validate } from '../../shared/validate.js';
import {
  type Context,
  loadPermitted,
  localId,
  OrderDirection,
  type PageArgs,
  paginate,
  subtreeCondition,
} from '../common/index.js';
import type { DeleteVeeRuleSetInput, SetVeeRuleSetInput, VeeRuleSetFilter } from './vee.type.js';

/** Rule sets in the caller's scope, oldest first. */
export async function listVeeRuleSets(ctx: Context, filter: VeeRuleSetFilter | undefined, page: PageArgs) {
  const where = ctx.access.where<VeeRuleSet>('read', 'VeeRuleSet');
  const conditions = filter?.orgUnitSubtree
    ? [await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['orgUnit'])]
    : [];
  return paginate(
    ctx.em,
    VeeRuleSet,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'id', direction: OrderDirection.ASC },
    ctx.config.maxPageSize,
  );
}

const positive = decimal(6, 4, { min: 'positive' });
const count = (max: number) => z.number().int().min(1, 'must be at least 1').max(max, `must be at most ${max}`);

/** Parameter overrides; each bounded so that one run's work stays bounded too. */
export const paramsSchema = z.object({
  spikeFactor: positive.optional().nullable(),
  spikeMinKwh: decimal(10, 4, { min: 'nonNegative' }).optional().nullable(),
  historyDays: count(60).optional().nullable(),
  zeroDays: count(60).optional().nullable(),
  touTolerance: decimal(6, 4, { min: 'nonNegative' }).optional().nullable(),
  // Below the hour that decides which midnight a value stands for (DAILY_WINDOW_MS).
  clockToleranceSeconds: z
    .number()
    .int()
    .min(0, 'must not be negative')
    .max(3599, 'must be under an hour')
    .optional()
    .nullable(),
  demandFactor: positive.optional().nullable(),
  interpolateMaxDays: count(31).optional().nullable(),
  estimateAfterDays: z
    .number()
    .int()
    .min(0, 'must not be negative')
    .max(92, 'must be at most 92')
    .optional()
    .nullable(),
});

const setSchema = z.object({
  id: z.string().optional().nullable(),
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  orgUnitId: z.string(),
  customerCategory: z.enum(CustomerCategory).optional().nullable(),
  params: paramsSchema.optional().nullable(),
  enabledRules: z
    .array(z.enum(VEE_RULES as [VeeRuleName, ...VeeRuleName[]]))
    .max(VEE_RULES.length)
    .superRefine((rules, issues) => {
      rules.forEach((rule, i) => {
        if (rules.indexOf(rule) !== i)
          issues.addIssue({ code: 'custom', path: [i], message: `${rule} is listed twice` });
        else if (!(VALIDATION_RULES as readonly string[]).includes(rule))
          issues.addIssue({ code: 'custom', path: [i], message: `${rule} is a check of ingestion, not of validation` });
      });
    }),
});

/** Creates a rule set, or changes one (with `id`); both in the caller's subtree. */
export async function setVeeRuleSet(ctx: Context, input: SetVeeRuleSetInput): Promise<VeeRuleSet> {
  const action = input.id ? 'update' : 'create';
  ctx.access.assert(action, 'VeeRuleSet');
  const data = validate(setSchema, input);
  const existing = data.id
    ? await loadPermitted(ctx, VeeRuleSet, 'VeeRuleSet', 'update', data.id, ['input', 'id'])
    : undefined;
  const unitWhere = ctx.access.whereOn<OrgUnit>(action, 'VeeRuleSet', 'OrgUnit');
  const unitId = localId(data.orgUnitId, 'OrgUnit', ['input', 'orgUnitId']);
  const unit = unitWhere === null ? null : await ctx.em.findOne(OrgUnit, { $and: [unitWhere, { id: unitId }] });
  if (!unit) throw badField(['input', 'orgUnitId'], 'OrgUnit not found or not accessible');
  const category = data.customerCategory ?? null;
  const twin = await ctx.em.findOne(VeeRuleSet, {
    orgUnit: unit.id,
    customerCategory: category,
    ...(existing ? { id: { $ne: existing.id } } : {}),
  });
  if (twin) {
    throw conflict('The unit already has a rule set for this customer category', [
      { path: ['input', 'customerCategory'], message: 'already has a rule set' },
    ]);
  }
  const params = Object.fromEntries(Object.entries(data.params ?? {}).filter(([, v]) => v !== null && v !== undefined));
  const set = existing ?? ctx.em.create(VeeRuleSet, { name: data.name, orgUnit: unit, enabledRules: [] });
  set.name = data.name;
  set.orgUnit = unit;
  set.customerCategory = category ?? undefined;
  set.params = params;
  set.enabledRules = data.enabledRules;
  await ctx.em.flush();
  return set;
}

export async function deleteVeeRuleSet(ctx: Context, input: DeleteVeeRuleSetInput): Promise<string> {
  ctx.access.assert('delete', 'VeeRuleSet');
  const set = await loadPermitted(ctx, VeeRuleSet, 'VeeRuleSet', 'delete', input.id, ['input', 'id']);
  const id = input.id;
  ctx.em.remove(set);
  await ctx.em.flush();
  return id;
}

/** What a meter's validation and estimation follow. */
export interface EffectiveRules {
  ruleSet?: VeeRuleSet;
  params: VeeParams;
  enabledRules: ValidationRule[];
}

export interface MeterGroupKey {
  /** Materialised path of the meter's org unit. */
  orgPath: string;
  /** Category of the customer the meter measures now, if any. */
  category?: CustomerCategory | null;
}

/**
 * The rules for each meter: the set of the deepest unit on the meter's path, preferring the set
 * for the customer's category over the set for any category (sets for other categories never
 * apply). Not scoped: rule sets of ancestor units apply to a station's meters whoever reads them.
 * One query for all meters.
 */
export async function effectiveRules(em: EntityManager, meters: readonly MeterGroupKey[]): Promise<EffectiveRules[]> {
  const chains = meters.map((m) => m.orgPath.split('/').filter(Boolean).map(Number));
  const ids = [...new Set(chains.flat())];
  const sets = ids.length ? await em.find(VeeRuleSet, { orgUnit: { $in: ids } }) : [];
  return meters.map((meter, i) => {
    const chain = chains[i]!;
    let best: { depth: number; specific: boolean; set: VeeRuleSet } | undefined;
    for (const set of sets) {
      const depth = chain.indexOf(set.orgUnit.id);
      if (depth < 0) continue;
      if (set.customerCategory && set.customerCategory !== meter.category) continue;
      const specific = Boolean(set.customerCategory);
      if (!best || depth > best.depth || (depth === best.depth && specific && !best.specific))
        best = { depth, specific, set };
    }
    if (!best) return { params: { ...DEFAULT_VEE_PARAMS }, enabledRules: [...VALIDATION_RULES] };
    return {
      ruleSet: best.set,
      params: paramsOf(best.set),
      enabledRules: best.set.enabledRules.filter((r): r is ValidationRule =>
        (VALIDATION_RULES as readonly string[]).includes(r),
      ),
    };
  });
}

/** A set's stored overrides over the defaults (rows written by hand are checked again here). */
export function paramsOf(set: VeeRuleSet): VeeParams {
  const parsed = paramsSchema.safeParse(set.params);
  const overrides = parsed.success ? parsed.data : {};
  const params: Record<string, unknown> = { ...DEFAULT_VEE_PARAMS };
  for (const [key, value] of Object.entries(overrides)) if (value !== null && value !== undefined) params[key] = value;
  return params as unknown as VeeParams;
}

/** Meter facts VEE needs, for meters the caller may act on with `action` on readings. */
export interface VeeMeter {
  id: number;
  orgPath: string;
  registerDigits: number;
  multiplier: string;
  installedAt?: Date;
  category: CustomerCategory | null;
  contractedCapacity?: string;
}

/** One statement: the meters' facts with the customer each measures now. */
export async function meterFacts(em: EntityManager, meterIds: readonly number[]): Promise<VeeMeter[]> {
  if (!meterIds.length) return [];
  const rows: {
    id: number;
    path: string;
    register_digits: number;
    multiplier: string;
    installed_at: Date | string | null;
    category: CustomerCategory | null;
    contracted_capacity: string | null;
  }[] = await em.getConnection().execute(
    `select m.id, o.path, m.register_digits, (m.ct_ratio * m.pt_ratio)::text as multiplier, m.installed_at,
            c.category, c.contracted_capacity::text as contracted_capacity
       from meter m
       join org_unit o on o.id = m.org_unit_id
       left join meter_assignment a on a.meter_id = m.id and a.removed_at is null
       left join service_point sp on sp.id = a.service_point_id
       left join customer c on c.id = sp.customer_id
      where m.id in (${meterIds.map(() => '?').join(',')})
      order by m.id`,
    [...meterIds],
    'all',
    em.getTransactionContext(),
  );
  return rows.map((r) => ({
    id: Number(r.id),
    orgPath: r.path,
    registerDigits: Number(r.register_digits),
    multiplier: r.multiplier,
    installedAt: r.installed_at ? new Date(r.installed_at) : undefined,
    category: r.category,
    contractedCapacity: r.contracted_capacity ?? undefined,
  }));
}

/** The parameters and rules that apply to a meter the caller may read. */
export async function veeParametersFor(ctx: Context, meterGlobalId: string) {
  const id = localId(meterGlobalId, 'Meter', ['meterId']);
  const where = ctx.access.where<Meter>('read', 'Meter');
  const meter = where === null ? null : await ctx.em.findOne(Meter, { $and: [where, { id }] });
  if (!meter) throw notFound('Meter', meterGlobalId);
  const [facts] = await meterFacts(ctx.em, [meter.id]);
  const [rules] = await effectiveRules(ctx.em, [{ orgPath: facts!.orgPath, category: facts!.category }]);
  // The set itself is shown to those who may read it (a bureau's set is not a station's row).
  const readable = ctx.access.where<VeeRuleSet>('read', 'VeeRuleSet');
  const ruleSet =
    rules!.ruleSet && readable !== null
      ? await ctx.em.findOne(VeeRuleSet, { $and: [readable, { id: rules!.ruleSet.id }] })
      : null;
  return { ruleSet, params: rules!.params, enabledRules: rules!.enabledRules };
}

/**
 * What VEE needs of a group of meters: their facts, the rule set that applies to each and their
 * time zones, in the order of `meterIds` (one statement each, for a chunk of meters).
 */
export async function meterContexts(em: EntityManager, meterIds: readonly number[], defaultTimeZone: string) {
  const facts = await meterFacts(em, meterIds);
  const rules = await effectiveRules(
    em,
    facts.map((f) => ({ orgPath: f.orgPath, category: f.category })),
  );
  const zones = await effectiveTimeZones(
    em,
    facts.map((f) => f.orgPath),
    defaultTimeZone,
  );
  return { facts, rules, zones };
}
