import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Customer } from '../../orm/entities/index.js';
import { maskIdNumber, maskPhone, SealedColumn } from '../../shared/personal-data.js';
import { type Context, fieldAccessOf, loadPermitted, NodeResolver, PageArgs } from '../common/index.js';
import { OrgUnitType } from '../org-unit/index.js';
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
  moveCustomer,
  updateCustomer,
} from './customer.service.js';

/**
 * Personal data is stored sealed: opened here, for this caller, in full where the rules allow it,
 * masked where a rule denies it, null where nothing gives it (a sharing grant without the field).
 */
async function personal(ctx: Context, customer: Customer, field: 'phone' | 'idNumber') {
  const sealed = field === 'phone' ? customer.phoneSealed : customer.idNumberSealed;
  if (!sealed) return null;
  const access = await fieldAccessOf(ctx, 'Customer', field, customer);
  if (access === 'HIDDEN') return null;
  const value = ctx.personalData.open(
    field === 'phone' ? SealedColumn.CUSTOMER_PHONE : SealedColumn.CUSTOMER_ID_NUMBER,
    sealed,
  );
  if (access === 'READABLE') return value;
  return field === 'phone' ? maskPhone(value) : maskIdNumber(value);
}

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

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Personal data: masked (138****5678) unless the caller may read it.',
  })
  phone(@Root() customer: Customer, @Ctx() ctx: Context) {
    return personal(ctx, customer, 'phone');
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Personal data: masked (451*************3X) unless the caller may read it.',
  })
  idNumber(@Root() customer: Customer, @Ctx() ctx: Context) {
    return personal(ctx, customer, 'idNumber');
  }

  @FieldResolver(() => OrgUnitType, { nullable: true })
  orgUnit(@Root() customer: Customer, @Ctx() ctx: Context) {
    return ctx.loaders.orgUnit.load(customer.orgUnit.id);
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
