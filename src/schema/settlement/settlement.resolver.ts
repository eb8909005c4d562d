import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { Bill, SettlementRun } from '../../orm/entities/index.js';
import type { SettlementProgressEvent } from '../../shared/events.js';
import { toGlobalId } from '../../shared/global-id.js';
import { type Context, loadPermitted, localId, NodeResolver, PageArgs, subscriberMayReceive } from '../common/index.js';
import { CustomerType } from '../customer/index.js';
import { OrgUnitType } from '../org-unit/index.js';
import { UserType } from '../user/index.js';
import {
  BillConnection,
  BillDeterminantType,
  BillFilter,
  BillLineType,
  BillsInput,
  BillsPayload,
  BillType,
  RunSettlementInput,
  SettlementFailureType,
  SettlementFilter,
  SettlementProgressType,
  SettlementRunConnection,
  SettlementRunPayload,
  SettlementRunType,
} from './settlement.type.js';
import {
  approveBills,
  issueBills,
  listBills,
  listSettlementRuns,
  runSettlement,
  visibleBills,
} from './settlement.service.js';
import { notFound } from '../../shared/errors.js';

@Resolver(() => SettlementRunType)
export class SettlementRunResolver extends NodeResolver<SettlementRun>(SettlementRunType, 'SettlementRun') {
  @Query(() => SettlementRunConnection, { description: 'Settlement runs the caller may see, newest first.' })
  settlements(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => SettlementFilter, { nullable: true }) filter?: SettlementFilter,
  ) {
    return listSettlementRuns(ctx, filter, page);
  }

  @Query(() => SettlementRunType)
  settlementRun(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, SettlementRun, 'SettlementRun', 'read', id);
  }

  @FieldResolver(() => OrgUnitType, { nullable: true })
  orgUnit(@Root() run: SettlementRun, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(run.orgUnit.id);
  }

  @FieldResolver(() => UserType, { nullable: true })
  startedBy(@Root() run: SettlementRun, @Ctx() ctx: Context) {
    return run.startedBy ? ctx.loaders.user.load(run.startedBy.id) : null;
  }

  @FieldResolver(() => [SettlementFailureType])
  failures(@Root() run: SettlementRun): SettlementFailureType[] {
    return run.failures.map((f) => ({ ...f, customerId: toGlobalId('Customer', f.customerId) }));
  }

  @FieldResolver(() => BillConnection, { description: 'The bills this run drafted or last recomputed.' })
  bills(
    @Root() run: SettlementRun,
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => BillFilter, { nullable: true }) filter?: BillFilter,
  ) {
    return listBills(ctx, { ...filter, runId: toGlobalId('SettlementRun', run.id) }, page);
  }

  @Mutation(() => SettlementRunPayload, {
    description:
      "Settles the month for every active customer under the unit (the caller's readable ones): drafts bills, redrafts drafts, drafts a new version where an approved or issued bill's amount changed. Returns at once; follow `settlementProgress` or the run.",
  })
  async runSettlement(@Ctx() ctx: Context, @Arg('input', () => RunSettlementInput) input: RunSettlementInput) {
    return { run: await runSettlement(ctx, input) };
  }

  @Subscription(() => SettlementProgressType, {
    topics: 'SETTLEMENT_PROGRESS',
    description: 'Progress of settlement runs the subscriber may see, after every batch and at the end.',
    filter: async ({
      payload,
      args,
      context,
    }: {
      payload: SettlementProgressEvent;
      args: { runId?: string };
      context: Context;
    }) =>
      subscriberMayReceive(
        context,
        'SettlementRun',
        { orgPath: payload.orgPath },
        undefined,
        () => !args.runId || args.runId === toGlobalId('SettlementRun', payload.runId),
      ),
  })
  settlementProgress(
    @Root() payload: SettlementProgressEvent,
    @Arg('runId', () => ID, { nullable: true }) _runId?: string,
  ): SettlementProgressType {
    return { ...payload, runId: toGlobalId('SettlementRun', payload.runId) } as SettlementProgressType;
  }
}

@Resolver(() => BillType)
export class BillResolver extends NodeResolver<Bill>(BillType, 'Bill') {
  @Query(() => BillConnection, { description: 'Bills the caller may see (customers: their issued bills).' })
  bills(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => BillFilter, { nullable: true }) filter?: BillFilter,
  ) {
    return listBills(ctx, filter, page);
  }

  @Query(() => BillType)
  async bill(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    const where = visibleBills(ctx);
    const bill = where && (await ctx.em.findOne(Bill, { $and: [where, { id: localId(id, 'Bill', ['id']) }] }));
    if (!bill) throw notFound('Bill', id);
    return bill;
  }

  @FieldResolver(() => CustomerType, { nullable: true })
  customer(@Root() bill: Bill, @Ctx() ctx: Context) {
    return ctx.loaders.customer.load(bill.customer.id);
  }

  @FieldResolver(() => [BillLineType])
  lines(@Root() bill: Bill, @Ctx() ctx: Context) {
    return ctx.loaders.billLines.load(bill.id);
  }

  @FieldResolver(() => [BillDeterminantType], {
    description: "Each meter's start and end values behind the energy, per service point and tariff segment.",
  })
  determinants(@Root() bill: Bill): BillDeterminantType[] {
    return bill.determinants.map((d) => ({
      ...d,
      servicePointId: toGlobalId('ServicePoint', d.servicePointId),
      meterId: toGlobalId('Meter', d.meterId),
      start: { ...d.start, at: new Date(d.start.at) },
      end: { ...d.end, at: new Date(d.end.at) },
    }));
  }

  @Mutation(() => BillsPayload, { description: 'DRAFT -> APPROVED, all named bills or none.' })
  async approveBills(@Ctx() ctx: Context, @Arg('input', () => BillsInput) input: BillsInput) {
    return { bills: await approveBills(ctx, input) };
  }

  @Mutation(() => BillsPayload, {
    description: 'APPROVED -> ISSUED, all named bills or none; earlier versions of the same cycle become SUPERSEDED.',
  })
  async issueBills(@Ctx() ctx: Context, @Arg('input', () => BillsInput) input: BillsInput) {
    return { bills: await issueBills(ctx, input) };
  }
}
