import type { FilterQuery } from '@mikro-orm/core';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { Channel, CollectionStatus, Meter, MeterCollection, OrgUnit, OrgUnitKind } from '../../orm/entities/index.js';
import { badField } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import { type Context, escapeLike, loadPermitted, OrderDirection, type PageArgs, paginate } from '../common/index.js';
import type { CreateChannelInput, SetMeterCollectionInput, UpdateChannelInput } from './channel.type.js';
import { keepSecrets } from './secret-settings.js';

export function listChannels(ctx: Context, page: PageArgs) {
  return paginate(
    ctx.em,
    Channel,
    ctx.access.where<Channel>('read', 'Channel'),
    page,
    { field: 'id', direction: OrderDirection.ASC },
    ctx.config.maxPageSize,
  );
}

const settingsObject = z
  .record(z.string(), z.unknown())
  .refine((v) => JSON.stringify(v).length <= 8192, 'must be at most 8 KiB of JSON');
const channelSchema = z.object({
  name: formats.name,
  pluginId: z.string().regex(/^[a-z][a-z0-9-]{1,63}$/, 'must be a collector id such as dlt645-2007-tcp'),
  settings: settingsObject,
  orgUnitId: z.string(),
});

/** A channel's own status: only whether its plugin is loaded (its settings are complete only with a meter's). */
function pluginStatus(ctx: Context, pluginId: string): { status: CollectionStatus; statusDetail?: string } {
  const loaded = ctx.collection.plugins().some((p) => p.id === pluginId && p.status === 'ready');
  return loaded
    ? { status: CollectionStatus.OK, statusDetail: undefined }
    : { status: CollectionStatus.PLUGIN_MISSING, statusDetail: `no collector plugin "${pluginId}" is loaded` };
}

export async function createChannel(ctx: Context, input: CreateChannelInput): Promise<Channel> {
  ctx.access.assert('create', 'Channel');
  const data = validate(channelSchema, input);
  const orgUnit = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'read', data.orgUnitId, ['input', 'orgUnitId']);
  const channel = ctx.em.create(Channel, { ...data, orgUnit, ...pluginStatus(ctx, data.pluginId) });
  await ctx.em.flush();
  return channel;
}

const updateSchema = z.object({
  id: z.string(),
  name: formats.name.optional().nullable(),
  settings: settingsObject.optional().nullable(),
  enabled: z.boolean().optional().nullable(),
});

export async function updateChannel(ctx: Context, input: UpdateChannelInput): Promise<Channel> {
  const data = validate(updateSchema, input);
  const channel = await loadPermitted(ctx, Channel, 'Channel', 'update', data.id);
  if (data.name) channel.name = data.name;
  if (data.enabled !== undefined && data.enabled !== null) channel.enabled = data.enabled;
  if (data.settings) {
    channel.settings = keepSecrets(data.settings, channel.settings);
    // The meters' merged settings change with it: check them again.
    const attached = await ctx.em.find(MeterCollection, { channel });
    for (const mc of attached) Object.assign(mc, await checked(ctx, channel, mc.settings, mc.points));
  }
  Object.assign(channel, pluginStatus(ctx, channel.pluginId));
  await ctx.em.flush();
  return channel;
}

async function checked(
  ctx: Context,
  channel: Channel,
  settings: Record<string, unknown>,
  points: { register: string; settings: Record<string, unknown> }[],
) {
  const result = await ctx.collection.check(
    channel.pluginId,
    { ...channel.settings, ...settings },
    points.map((p) => p.settings),
  );
  return { status: result.status as CollectionStatus, statusDetail: result.detail };
}

const pointsSchema = z
  .array(z.object({ register: z.string(), settings: settingsObject }))
  .min(1, 'at least one register to read')
  .max(32, 'at most 32 points per meter')
  .refine((points) => new Set(points.map((p) => p.register)).size === points.length, 'each register at most once');

/**
 * Puts a meter under automatic collection on a channel (or changes how). Settings the plugin
 * rejects are stored with status INVALID_SETTINGS and the plugin's reasons, for an administrator
 * to fix; collection skips the meter until then.
 */
export async function setMeterCollection(ctx: Context, input: SetMeterCollectionInput): Promise<MeterCollection> {
  ctx.access.assert('update', 'Channel');
  const data = validate(
    z.object({
      meterId: z.string(),
      channelId: z.string(),
      settings: settingsObject.nullish().transform((v) => v ?? {}),
      points: pointsSchema,
    }),
    input,
  );
  const meter = await loadPermitted(ctx, Meter, 'Meter', 'update', data.meterId, ['input', 'meterId']);
  const channel = await loadPermitted(ctx, Channel, 'Channel', 'update', data.channelId, ['input', 'channelId']);
  let mc = await ctx.em.findOne(MeterCollection, { meter });
  const settings = keepSecrets(data.settings, mc?.settings);
  const status = await checked(ctx, channel, settings, data.points);
  if (mc) Object.assign(mc, { channel, settings, points: data.points, ...status });
  else mc = ctx.em.create(MeterCollection, { meter, channel, settings, points: data.points, ...status });
  await ctx.em.flush();
  return mc;
}

export async function removeMeterCollection(ctx: Context, meterGlobalId: string): Promise<boolean> {
  ctx.access.assert('update', 'Channel');
  const meter = await loadPermitted(ctx, Meter, 'Meter', 'update', meterGlobalId, ['input', 'meterId']);
  return (await ctx.em.nativeDelete(MeterCollection, { meter })) > 0;
}

export async function readMeterNow(ctx: Context, meterGlobalId: string) {
  ctx.access.assert('update', 'Channel');
  const meter = await loadPermitted(ctx, Meter, 'Meter', 'read', meterGlobalId, ['input', 'meterId']);
  // A push-mode meter has nothing to ask: its values are stored as it delivers them.
  const mc = await ctx.em.findOne(MeterCollection, { meter }, { populate: ['channel'] });
  const plugin = mc && ctx.collection.plugins().find((p) => p.id === mc.channel.pluginId);
  if (plugin?.description?.mode === 'push')
    throw badField(
      ['input', 'meterId'],
      `the meter delivers its values by itself (${plugin.id}, push mode): they are stored as they arrive`,
    );
  const values = await ctx.collection.readNow(meter.id, ctx.access.requireUser().id);
  if (!values)
    throw badField(
      ['input', 'meterId'],
      'the meter is not under automatic collection (or its settings are not usable)',
    );
  return { values };
}

const ratio = (part: number, whole: number) =>
  whole === 0 ? '0' : (Math.round((part / whole) * 10_000) / 10_000).toFixed(4);

/**
 * Completeness per transformer area for one local day of the area's time zone: how many installed
 * meters are under automatic collection (coverage) and how many of those gave a good value that day
 * (success rate). Simulated meters count as collected.
 */
export async function completeness(ctx: Context, orgUnitGlobalId: string, day: string) {
  const root = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'read', orgUnitGlobalId, ['orgUnitId']);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw badField(['day'], 'must be a date YYYY-MM-DD');
  const meterWhere = ctx.access.where<Meter>('read', 'Meter');
  const areas = await ctx.em.find(
    OrgUnit,
    { path: { $like: `${escapeLike(root.path)}%` }, kind: OrgUnitKind.TRANSFORMER_AREA },
    { orderBy: { code: 'asc' } },
  );
  const results = [];
  for (const area of areas) {
    const zone = await ctx.loaders.effectiveTimeZone.load(area.path);
    const start = DateTime.fromISO(day, { zone }).startOf('day');
    if (!start.isValid) throw badField(['day'], 'is not a valid date');
    const from = start.toJSDate();
    const to = start.plus({ days: 1 }).toJSDate();
    const scoped =
      meterWhere === null
        ? []
        : await ctx.em.find(
            Meter,
            { $and: [meterWhere, { orgUnit: area, status: 'INSTALLED' }] } as FilterQuery<Meter>,
            { fields: ['id', 'protocol'] },
          );
    const ids = scoped.map((m) => m.id);
    const collectedIds = new Set(scoped.filter((m) => m.protocol === 'SIMULATED').map((m) => m.id));
    if (ids.length) {
      const attached = await ctx.em.find(
        MeterCollection,
        { meter: { $in: ids }, status: CollectionStatus.OK },
        { fields: ['meter'] },
      );
      for (const a of attached) collectedIds.add(a.meter.id);
    }
    let read = 0;
    if (collectedIds.size) {
      const rows: { n: string }[] = await ctx.em
        .getConnection()
        .execute(
          `select count(distinct meter_id) as n from reading where meter_id in (${[...collectedIds].map(() => '?').join(',')}) and measured_at >= ? and measured_at < ? and quality = 'GOOD'`,
          [...collectedIds, from, to],
        );
      read = Number(rows[0]?.n ?? 0);
    }
    results.push({
      area,
      installedMeters: ids.length,
      collectedMeters: collectedIds.size,
      readMeters: read,
      successRate: ratio(read, collectedIds.size),
      coverage: ratio(collectedIds.size, ids.length),
    });
  }
  return results;
}
