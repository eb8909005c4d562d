import { z } from 'zod';
import { daysBetween, datesIn, localMidnight } from '../../billing/local-days.js';
import { OrgUnit, OrgUnitKind, User } from '../../orm/entities/index.js';
import { badField, forbidden } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { validate } from '../../shared/validate.js';
import { type Context, escapeLike, loadPermitted } from '../common/index.js';
import { type AreaLineLossResult, lineLossOfAreas } from '../line-loss/index.js';
import { FIELD_ROLES } from '../work-order/index.js';
import { kpiRate, type KpiFigures } from '../../billing/kpis.js';
import { peopleCounts, unitCounts, type PersonCounts } from './kpi-figures.js';

/** The longest period a report covers: a year (a leap year's days). */
export const MAX_KPI_DAYS = 366;

export interface KpiPerson {
  user: User;
  figures: KpiFigures;
}

export interface KpiReport {
  orgUnit: OrgUnit;
  from: string;
  /** Exclusive: the first day after the period. */
  to: string;
  timeZone: string;
  generatedAt: Date;
  checkReadingToleranceKwh: string;
  /** The unit's figures; null when the caller may read only their own row. */
  unit: KpiFigures | null;
  /** The transformer areas behind the line-loss qualification rate (with the unit's figures). */
  lineLossAreas: AreaLineLossResult[] | null;
  /** One row per member of the field staff of the subtree the caller may assess; null unless asked. */
  people: KpiPerson[] | null;
}

export interface KpiArgs {
  orgUnitId: string;
  from: string;
  to: string;
  people?: boolean | null;
}

const localDate = formats.localDate.refine((v) => {
  const day = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === v;
}, 'must be a calendar date');
const argsSchema = z.object({
  orgUnitId: z.string(),
  from: localDate,
  to: localDate,
  people: z.boolean().nullable().optional(),
});

const personFigures = (c: PersonCounts): KpiFigures => ({
  collectionSuccess: null,
  coverage: null,
  lineLossQualification: null,
  workOrderTimeliness: kpiRate(c.timeliness.numerator, c.timeliness.denominator),
  abnormalityClosure: kpiRate(c.closure.numerator, c.closure.denominator),
  checkReadingAccuracy: kpiRate(c.checkReading.numerator, c.checkReading.denominator),
  hazards: c.hazards,
  training: c.training,
  metersOverdueVerification: null,
});

/**
 * The KPIs of a unit (a station, a bureau, a transformer area) over the local days [from, to) of
 * its time zone, and of the field staff of its subtree (docs/kpis.md for the definitions).
 *
 * Who sees what (subject Assessment): a rule's scope on the unit gives its figures, on a user
 * that person's row. Managers assess their subtree, auditors everything, field staff only
 * themselves (OWN_ACCOUNT: their row; the unit's figures stay null). The unit must be one the
 * caller may read: another station's unit is answered like one that does not exist.
 * `root` is where the arguments sit, for the field paths of errors (['input'], or [] for the
 * exports' query parameters).
 */
export async function kpiReport(ctx: Context, args: KpiArgs, root: string[] = ['input']): Promise<KpiReport> {
  ctx.access.assert('read', 'Assessment');
  // A key limited to collection channels sees some meters, never a station's whole work.
  if (ctx.access.channelIds) throw forbidden('KPIs need the data of whole units');
  const data = validate(argsSchema, args, root);
  const days = daysBetween(data.from, data.to);
  if (days <= 0) throw badField([...root, 'to'], 'must be after from (to is exclusive)');
  if (days > MAX_KPI_DAYS) throw badField([...root, 'to'], `at most ${MAX_KPI_DAYS} days after from`);
  const unit = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'read', data.orgUnitId, [...root, 'orgUnitId']);
  const timeZone = await ctx.loaders.effectiveTimeZone.load(unit.path);
  const scope = {
    path: unit.path,
    from: data.from,
    to: data.to,
    start: localMidnight(data.from, timeZone),
    end: localMidnight(data.to, timeZone),
    frozenAt: datesIn(data.from, data.to).map((d) => localMidnight(d, timeZone)),
    toleranceKwh: ctx.config.assessment.checkReadingToleranceKwh,
  };
  const subtree = { $like: `${escapeLike(unit.path)}%` };

  const unitWhere = ctx.access.whereOn<OrgUnit>('read', 'Assessment', 'OrgUnit');
  const seesUnit = unitWhere !== null && (await ctx.em.count(OrgUnit, { $and: [unitWhere, { id: unit.id }] })) > 0;
  const peopleWhere = data.people ? ctx.access.whereOn<User>('read', 'Assessment', 'User') : null;
  const staff =
    peopleWhere === null
      ? []
      : await ctx.em.find(
          User,
          { $and: [peopleWhere, { orgUnit: { path: subtree }, role: { $in: [...FIELD_ROLES] } }] },
          { orderBy: { username: 'asc' } },
        );

  const [counts, areas, people] = await Promise.all([
    seesUnit ? unitCounts(ctx.em, scope) : null,
    seesUnit ? unitLineLoss(ctx, subtree, data.from, data.to) : null,
    peopleCounts(
      ctx.em,
      scope,
      staff.map((u) => u.id),
    ),
  ]);
  const unitFigures: KpiFigures | null =
    counts && areas
      ? {
          ...personFigures(counts),
          collectionSuccess: kpiRate(counts.collection.numerator, counts.collection.denominator),
          coverage: kpiRate(counts.coverage.numerator, counts.coverage.denominator),
          lineLossQualification: kpiRate(
            areas.filter((a) => a.qualified).length,
            areas.filter((a) => a.status === 'OK').length,
          ),
          metersOverdueVerification: counts.overdueVerification,
        }
      : null;
  return {
    orgUnit: unit,
    from: data.from,
    to: data.to,
    timeZone,
    generatedAt: new Date(),
    checkReadingToleranceKwh: scope.toleranceKwh,
    unit: unitFigures,
    lineLossAreas: areas,
    people: data.people ? staff.map((user) => ({ user, figures: personFigures(people.get(user.id)!) })) : null,
  };
}

/**
 * The line loss of every transformer area of the subtree over the period, as `lineLoss` and the
 * settlement report compute it (each area in its own time zone), in area order.
 */
async function unitLineLoss(ctx: Context, subtree: { $like: string }, from: string, to: string) {
  const areas = await ctx.em.find(
    OrgUnit,
    { kind: OrgUnitKind.TRANSFORMER_AREA, path: subtree },
    { fields: ['id'], orderBy: { id: 'asc' } },
  );
  const losses = await lineLossOfAreas(
    ctx.em,
    areas.map((a) => a.id),
    from,
    to,
    ctx.config.defaultTimeZone,
  );
  return [...losses.values()];
}
