import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { toGlobalId } from '../../shared/global-id.js';
import type { Context } from '../common/index.js';
import type { AreaLineLossResult } from '../line-loss/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import { UserType } from '../user/index.js';
import { kpiReport, type KpiPerson, type KpiReport } from './kpi.service.js';
import { KpiInput, KpiLineLossAreaType, KpiPersonType, KpiReportType } from './kpi.type.js';

@Resolver(() => KpiReportType)
export class KpiResolver {
  @Query(() => KpiReportType, {
    description:
      'Assessment KPIs of a unit and, with people: true, of its field staff, over local days [from, to). Managers: their subtree; auditors: everything; field staff: their own row. For printing: GET /reports/kpis.pdf?orgUnitId=&from=&to= (and .csv), with the same token.',
  })
  kpis(@Ctx() ctx: Context, @Arg('input', () => KpiInput) input: KpiInput) {
    return kpiReport(ctx, input);
  }

  @FieldResolver(() => OrgUnitType, { description: 'The unit assessed.' })
  orgUnit(@Root() report: KpiReport) {
    return report.orgUnit;
  }
}

@Resolver(() => KpiPersonType)
export class KpiPersonResolver {
  @FieldResolver()
  userId(@Root() row: KpiPerson) {
    return toGlobalId('User', row.user.id);
  }

  @FieldResolver()
  username(@Root() row: KpiPerson) {
    return row.user.username;
  }

  @FieldResolver()
  displayName(@Root() row: KpiPerson) {
    return row.user.displayName;
  }

  @FieldResolver()
  role(@Root() row: KpiPerson) {
    return row.user.role;
  }

  @FieldResolver()
  active(@Root() row: KpiPerson) {
    return row.user.active;
  }

  @FieldResolver(() => UserType, { nullable: true, description: 'The user, when the caller may read users.' })
  user(@Root() row: KpiPerson, @Ctx() ctx: Context) {
    return ctx.loaders.user.load(row.user.id);
  }
}

@Resolver(() => KpiLineLossAreaType)
export class KpiLineLossAreaResolver {
  @FieldResolver(() => OrgUnitType, { nullable: true, description: 'The transformer area (null if not readable).' })
  area(@Root() row: AreaLineLossResult, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(row.area.id);
  }
}
