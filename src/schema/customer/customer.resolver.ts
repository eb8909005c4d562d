import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Customer } from '../../orm/entities/index.js';
import { connectionOf, FirstArgs, PageArgs, pageSize } from '../common/connection.js';
import type { Context } from '../common/context.js';
import { NodeResolver } from '../common/node.js';
import { loadPermitted } from '../common/refs.js';
import { OrgUnitType } from '../org-unit/org-unit.type.js';
import { ServicePointConnection } from '../service-point/service-point.type.js';
import {
  CreateCustomerInput,
  CustomerConnection,
  CustomerFilter,
  CustomerOrder,
  CustomerPayload,
  CustomerType,
  MoveCustomerInput,
  UpdateCustomerInput,
} from './customer.type.js';
import {
  createCustomer,
  customerByAccountNo,
  listCustomers,
  maskPersonal,
  moveCustomer,
  updateCustomer,
} from './customer.service.js';

@Resolver(() => CustomerType)
export class CustomerResolver extends NodeResolver<Customer>(CustomerType, 'Customer') {
  @Query(() => CustomerConnection)
  customers(
    @Ctx() ctx: Context,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => CustomerFilter, { nullable: true }) filter?: CustomerFilter,
    @Arg('orderBy', () => CustomerOrder, { nullable: true }) orderBy?: CustomerOrder,
  ) {
    return listCustomers(ctx, filter, orderBy, page);
  }

  @Query(() => CustomerType)
  customer(@Ctx() ctx: Context, @Arg('id', () => ID) id: string) {
    return loadPermitted(ctx, Customer, 'Customer', 'read', id);
  }

  @Query(() => CustomerType, {
    nullable: true,
    description: 'Field apps: the customer with this account number, if visible.',
  })
  customerByAccountNo(@Ctx() ctx: Context, @Arg('accountNo') accountNo: string) {
    return customerByAccountNo(ctx, accountNo);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Personal data: masked unless the caller may read it.' })
  phone(@Root() customer: Customer, @Ctx() ctx: Context) {
    if (!customer.phone) return null;
    return ctx.access.canReadField('Customer', 'phone') ? customer.phone : maskPersonal(customer.phone, 3);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Personal data: masked unless the caller may read it.' })
  idNumber(@Root() customer: Customer, @Ctx() ctx: Context) {
    if (!customer.idNumber) return null;
    return ctx.access.canReadField('Customer', 'idNumber') ? customer.idNumber : maskPersonal(customer.idNumber, 6);
  }

  @FieldResolver(() => OrgUnitType, { nullable: true })
  orgUnit(@Root() customer: Customer, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(customer.orgUnit.id);
  }

  @FieldResolver(() => ServicePointConnection)
  async servicePoints(@Root() customer: Customer, @Ctx() ctx: Context, @Args(() => FirstArgs) page: FirstArgs) {
    const first = pageSize(page.first, ctx.config.maxPageSize);
    const rows = await ctx.loaders.customerServicePoints.load({ parentId: customer.id, first });
    return connectionOf(rows, first, () => ctx.loaders.customerServicePointCount.load(customer.id));
  }

  @Mutation(() => CustomerPayload)
  async createCustomer(@Ctx() ctx: Context, @Arg('input', () => CreateCustomerInput) input: CreateCustomerInput) {
    return { customer: await createCustomer(ctx, input) };
  }

  @Mutation(() => CustomerPayload)
  async updateCustomer(@Ctx() ctx: Context, @Arg('input', () => UpdateCustomerInput) input: UpdateCustomerInput) {
    return { customer: await updateCustomer(ctx, input) };
  }

  @Mutation(() => CustomerPayload, {
    description: 'Move a customer to another serving unit (e.g. after a network change).',
  })
  async moveCustomer(@Ctx() ctx: Context, @Arg('input', () => MoveCustomerInput) input: MoveCustomerInput) {
    return { customer: await moveCustomer(ctx, input) };
  }
}
