import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import {
  BANDS,
  TariffError,
  termsProblems,
  versionOn,
  type Band,
  type TariffTerms,
} from '../../billing/tariff-engine.js';
import {
  Customer,
  CustomerCategory,
  type StoredTerms,
  Tariff,
  TariffVersion,
  TierBasis,
} from '../../orm/entities/index.js';
import { badField, badInput, conflict, type FieldIssue } from '../../shared/errors.js';
import { decimal, formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import { type Context, loadPermitted, OrderDirection, type PageArgs, paginate } from '../common/index.js';
import type {
  AddTariffVersionInput,
  CreateTariffInput,
  SetCustomerTariffInput,
  TariffFilter,
  UpdateTariffInput,
} from './tariff.input.js';
import { TouBand, type TariffVersionType } from './tariff.type.js';

/** Tariffs by code. Company-wide rows: the read rule's condition is still applied (a role may have none). */
export function listTariffs(ctx: Context, filter: TariffFilter | undefined, page: PageArgs) {
  const where = ctx.access.where<Tariff>('read', 'Tariff');
  const conditions: FilterQuery<Tariff>[] = [];
  if (filter?.customerCategory) conditions.push({ customerCategory: filter.customerCategory });
  if (filter?.code) conditions.push({ code: filter.code });
  return paginate(
    ctx.em,
    Tariff,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: 'code', direction: OrderDirection.ASC },
    ctx.config.maxPageSize,
  );
}

/** Stored versions (oldest first) as the API shows them, each ending where the next begins. */
export function versionViews(versions: TariffVersion[]): TariffVersionType[] {
  const sorted = [...versions].sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom));
  return sorted.map((v, i) => ({
    effectiveFrom: v.effectiveFrom,
    effectiveTo: sorted[i + 1]?.effectiveFrom ?? null,
    flatPrice: v.terms.flatPrice ?? null,
    bandPrices: BANDS.flatMap((band) => {
      const price = v.terms.bandPrices?.[band];
      return price === undefined ? [] : [{ band: band as TouBand, price }];
    }),
    tiers: v.terms.tiers.map((t, k) => ({ tier: k + 1, upToKwh: t.upToKwh, adder: t.adder })),
    fixedCharges: v.terms.fixedCharges,
    surcharges: v.terms.surcharges,
    createdAt: v.createdAt,
  }));
}

/** The engine's terms of a stored version (its global-ID-free version id is the row id, as text). */
export function termsOf(tariff: Tariff, version: TariffVersion): TariffTerms {
  return {
    ...version.terms,
    effectiveFrom: version.effectiveFrom,
    versionId: String(version.id),
    tierBasis: tariff.tierBasis,
  };
}

/**
 * The tariff that applies to a customer: their own, else the default of their category. For the
 * settlement runs, which have loaded the customer under the caller's permissions already; tariffs
 * are company-wide. Returns every version of it (a cycle may span a change) and throws TariffError
 * when no tariff applies or none of its versions is in effect on `onDate` (a cycle's start).
 */
export async function tariffFor(em: EntityManager, customer: Customer, onDate: string): Promise<TariffTerms[]> {
  const tariff = customer.tariff
    ? await em.findOneOrFail(Tariff, { id: customer.tariff.id })
    : await em.findOne(Tariff, { customerCategory: customer.category, isDefault: true });
  if (!tariff)
    throw new TariffError(
      `customer ${customer.accountNo} has no tariff of its own and ${customer.category} has no default tariff`,
    );
  const versions = await em.find(TariffVersion, { tariff }, { orderBy: { effectiveFrom: 'asc' } });
  const terms = versions.map((v) => termsOf(tariff, v));
  if (!versionOn(terms, onDate))
    throw new TariffError(
      `tariff ${tariff.code} of customer ${customer.accountNo} has no version in effect on ${onDate}`,
    );
  return terms;
}

const createSchema = z.object({
  code: formats.code,
  name: formats.name,
  customerCategory: z.enum(CustomerCategory),
  tierBasis: z.enum(TierBasis),
  isDefault: z.boolean().optional().nullable(),
});

const updateSchema = z.object({
  id: z.string(),
  name: formats.name.optional().nullable(),
  isDefault: z.boolean().optional().nullable(),
});

/** Makes `tariff` the only default of its category, or no default; in the caller's transaction. */
async function settleDefault(em: EntityManager, tariff: Tariff, isDefault: boolean): Promise<void> {
  if (isDefault)
    await em.nativeUpdate(
      Tariff,
      { customerCategory: tariff.customerCategory, isDefault: true, ...(tariff.id ? { id: { $ne: tariff.id } } : {}) },
      { isDefault: false },
    );
  tariff.isDefault = isDefault;
}

export async function createTariff(ctx: Context, input: CreateTariffInput) {
  ctx.access.assert('create', 'Tariff');
  const data = validate(createSchema, input);
  if (await ctx.em.count(Tariff, { code: data.code }))
    throw conflict(`tariff ${data.code} exists already`, [{ path: ['input', 'code'], message: 'is already in use' }]);
  const tariff = await ctx.em.transactional(async (em) => {
    const created = em.create(Tariff, {
      code: data.code,
      name: data.name,
      customerCategory: data.customerCategory,
      tierBasis: data.tierBasis,
    });
    await settleDefault(em, created, data.isDefault ?? false);
    await em.flush();
    return created;
  });
  return { tariff };
}

export async function updateTariff(ctx: Context, input: UpdateTariffInput) {
  ctx.access.assert('update', 'Tariff');
  const data = validate(updateSchema, input);
  const tariff = await loadPermitted(ctx, Tariff, 'Tariff', 'update', data.id);
  if (data.name) tariff.name = data.name;
  await ctx.em.transactional(async (em) => {
    if (data.isDefault !== undefined && data.isDefault !== null) await settleDefault(em, tariff, data.isDefault);
    await em.flush();
  });
  return { tariff };
}

const price = decimal(4, 8, { min: 'nonNegative' }); // CNY/kWh
const versionSchema = z.object({
  tariffId: z.string(),
  effectiveFrom: formats.localDate,
  flatPrice: price.optional().nullable(),
  bandPrices: z
    .array(z.object({ band: z.enum(TouBand), price }))
    .max(BANDS.length)
    .optional()
    .nullable(),
  tiers: z
    .array(z.object({ upToKwh: decimal(12, 4, { min: 'positive' }).optional().nullable(), adder: price }))
    .min(1, 'give at least one tier (one open-ended tier with adder "0" for a tariff without tiers)')
    .max(10),
  fixedCharges: z
    .array(z.object({ name: formats.name, amount: decimal(10, 4, { min: 'nonNegative' }) }))
    .max(20)
    .optional()
    .nullable(),
  surcharges: z
    .array(z.object({ name: formats.name, perKwh: price }))
    .max(20)
    .optional()
    .nullable(),
});
type VersionData = z.infer<typeof versionSchema>;

/** The stored terms of a version input, and every problem the engine finds in them (paths in the input). */
function storedTerms(data: VersionData, tierBasis: TierBasis): { terms: StoredTerms; problems: FieldIssue[] } {
  const problems: FieldIssue[] = [];
  const bandIndex = new Map<Band, number>();
  data.bandPrices?.forEach((b, i) => {
    if (bandIndex.has(b.band))
      problems.push({ path: ['input', 'bandPrices', i, 'band'], message: `${b.band} has a price already` });
    else bandIndex.set(b.band, i);
  });
  const terms: StoredTerms = {
    ...(data.flatPrice ? { flatPrice: data.flatPrice } : {}),
    ...(data.bandPrices?.length
      ? { bandPrices: Object.fromEntries(data.bandPrices.map((b) => [b.band, b.price])) }
      : {}),
    tiers: data.tiers.map((t) => ({ upToKwh: t.upToKwh ?? null, adder: t.adder })),
    fixedCharges: data.fixedCharges ?? [],
    surcharges: data.surcharges ?? [],
  };
  // The engine's own validator: a version the API stores is one the engine prices.
  for (const p of termsProblems({ ...terms, effectiveFrom: data.effectiveFrom, tierBasis })) {
    // The engine names a band price by its band; the input lists them.
    const [head, band] = p.path;
    const index = head === 'bandPrices' ? bandIndex.get(band as Band) : undefined;
    const path = index === undefined ? ['input', ...p.path] : ['input', 'bandPrices', index, 'price'];
    problems.push({ path, message: p.message });
  }
  return { terms, problems };
}

export async function addTariffVersion(ctx: Context, input: AddTariffVersionInput) {
  ctx.access.assert('update', 'Tariff');
  const data = validate(versionSchema, input);
  const tariff = await loadPermitted(ctx, Tariff, 'Tariff', 'update', data.tariffId, ['input', 'tariffId']);
  const { terms, problems } = storedTerms(data, tariff.tierBasis);
  const existing = await ctx.em.find(TariffVersion, { tariff }, { orderBy: { effectiveFrom: 'asc' } });
  // MONTHLY thresholds are prorated over the versions of a cycle: tier by tier, so they must match in number.
  const tierCount = existing[0]?.terms.tiers.length;
  if (tariff.tierBasis === TierBasis.MONTHLY && tierCount !== undefined && tierCount !== terms.tiers.length)
    problems.push({
      path: ['input', 'tiers'],
      message: `the versions of a MONTHLY tariff have the same number of tiers (${tierCount})`,
    });
  if (problems.length) throw badInput(problems);
  if (existing.some((v) => v.effectiveFrom === data.effectiveFrom))
    throw conflict(`tariff ${tariff.code} has a version from ${data.effectiveFrom} already`, [
      { path: ['input', 'effectiveFrom'], message: 'a version takes effect on this date already' },
    ]);
  const version = ctx.em.create(TariffVersion, {
    tariff,
    effectiveFrom: data.effectiveFrom,
    terms,
    createdBy: ctx.access.user,
  });
  await ctx.em.flush();
  const view = versionViews([...existing, version]).find((v) => v.effectiveFrom === data.effectiveFrom)!;
  return { tariff, version: view };
}

export async function setCustomerTariff(ctx: Context, input: SetCustomerTariffInput) {
  ctx.access.assert('update', 'Customer');
  const customer = await loadPermitted(ctx, Customer, 'Customer', 'update', input.customerId, ['input', 'customerId']);
  if (input.tariffId === null || input.tariffId === undefined) customer.tariff = undefined;
  else {
    const tariff = await loadPermitted(ctx, Tariff, 'Tariff', 'read', input.tariffId, ['input', 'tariffId']);
    if (tariff.customerCategory !== customer.category)
      throw badField(
        ['input', 'tariffId'],
        `${tariff.code} is a tariff for ${tariff.customerCategory} customers; the customer is ${customer.category}`,
      );
    customer.tariff = tariff;
  }
  await ctx.em.flush();
  return { customer };
}

/** The version of a tariff in effect on a date (null before its first). */
export function versionIn(views: TariffVersionType[], on: string): TariffVersionType | null {
  return views.filter((v) => v.effectiveFrom <= on).at(-1) ?? null;
}
