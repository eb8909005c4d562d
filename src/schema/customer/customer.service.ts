import type { FilterQuery } from '@mikro-orm/core';
import { z } from 'zod';
import { Customer, CustomerCategory, CustomerStatus, MeterAssignment, OrgUnit } from '../../orm/entities/index.js';
import { sealCustomerPersonalData } from '../../orm/personal-data.js';
import { badField, forbidden } from '../../shared/errors.js';
import { formats } from '../../shared/formats.js';
import { normaliseIdNumber, normalisePhone, SealedColumn } from '../../shared/personal-data.js';
import { validate } from '../../shared/validate.js';
import {
  type Context,
  escapeLike,
  loadPermitted,
  OrderDirection,
  type PageArgs,
  paginate,
  subtreeCondition,
} from '../common/index.js';
import type {
  CreateCustomerInput,
  CustomerFilter,
  CustomerOrder,
  MoveCustomerInput,
  UpdateCustomerInput,
} from './customer.type.js';

export async function listCustomers(
  ctx: Context,
  filter: CustomerFilter | undefined,
  order: CustomerOrder | undefined,
  page: PageArgs,
) {
  const where = ctx.access.where<Customer>('read', 'Customer');
  const conditions: FilterQuery<Customer>[] = [];
  if (filter?.categories?.length) conditions.push({ category: { $in: filter.categories } });
  if (filter?.statuses?.length) conditions.push({ status: { $in: filter.statuses } });
  if (filter?.orgUnitSubtree) {
    conditions.push(await subtreeCondition(ctx, filter.orgUnitSubtree, ['filter', 'orgUnitSubtree'], ['orgUnit']));
  }
  // Exact search on personal data goes through the keyed hashes, and only for callers who may read
  // the field: to others a match would confirm a guessed number that they only see masked.
  if (filter?.phone != null) {
    if (ctx.access.fieldAccess('Customer', 'phone') !== 'READABLE')
      throw forbidden('Not allowed to search customers by phone');
    const digits = normalisePhone(filter.phone);
    if (digits.length < 5 || digits.length > 20) throw badField(['filter', 'phone'], 'must have 5 to 20 digits');
    conditions.push({ phoneHash: { $in: ctx.personalData.searchHashes(SealedColumn.CUSTOMER_PHONE, digits) } });
  }
  if (filter?.idNumber != null) {
    if (ctx.access.fieldAccess('Customer', 'idNumber') !== 'READABLE')
      throw forbidden('Not allowed to search customers by ID number');
    const idNumber = validate(formats.idNumber, normaliseIdNumber(filter.idNumber), ['filter', 'idNumber']);
    conditions.push({
      idNumberHash: { $in: ctx.personalData.searchHashes(SealedColumn.CUSTOMER_ID_NUMBER, idNumber) },
    });
  }
  if (filter?.search) {
    conditions.push({
      $or: [
        { accountNo: { $like: `${escapeLike(filter.search)}%` } },
        { name: { $ilike: `%${escapeLike(filter.search)}%` } },
      ],
    });
  }
  return paginate(
    ctx.em,
    Customer,
    where === null ? null : { $and: [where, ...conditions] },
    page,
    { field: order?.field ?? 'id', direction: order?.direction ?? OrderDirection.ASC },
    ctx.config.maxPageSize,
    order?.field === 'createdAt',
  );
}

export async function customerByAccountNo(ctx: Context, accountNo: string): Promise<Customer | null> {
  const where = ctx.access.where<Customer>('read', 'Customer');
  return where === null ? null : ctx.em.findOne(Customer, { $and: [where, { accountNo }] });
}

const capacity = formats.capacity;
const billingDay = z.number().int().min(1, 'must be between 1 and 28').max(28, 'must be between 1 and 28');

export const createCustomerSchema = z.object({
  accountNo: formats.accountNo,
  name: formats.name,
  category: z.enum(CustomerCategory),
  phone: formats.phone.optional().nullable(),
  idNumber: formats.idNumber.optional().nullable(),
  address: formats.address,
  contractedCapacity: capacity,
  orgUnitId: z.string(),
  readingWindowStart: formats.localTime.default('00:00'),
  readingWindowEnd: formats.localTime.default('06:00'),
  billingDay: billingDay.default(1),
});

export async function createCustomer(ctx: Context, input: CreateCustomerInput): Promise<Customer> {
  ctx.access.assert('create', 'Customer');
  const data = validate(createCustomerSchema, input);
  const orgUnit = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'read', data.orgUnitId, ['input', 'orgUnitId']);
  const { orgUnitId: _, ...fields } = data;
  const { phone, idNumber, ...rest } = fields;
  const customer = ctx.em.create(Customer, {
    ...rest,
    ...sealCustomerPersonalData(ctx.personalData, { phone, idNumber }),
    orgUnit,
    status: CustomerStatus.ACTIVE,
  });
  await ctx.em.flush();
  return customer;
}

const updateSchema = z.object({
  id: z.string(),
  name: formats.name.optional().nullable(),
  category: z.enum(CustomerCategory).optional().nullable(),
  status: z.enum(CustomerStatus).optional().nullable(),
  phone: formats.phone.optional().nullable(),
  idNumber: formats.idNumber.optional().nullable(),
  address: formats.address.optional().nullable(),
  contractedCapacity: capacity.optional().nullable(),
  readingWindowStart: formats.localTime.optional().nullable(),
  readingWindowEnd: formats.localTime.optional().nullable(),
  billingDay: billingDay.optional().nullable(),
});

export async function updateCustomer(ctx: Context, input: UpdateCustomerInput): Promise<Customer> {
  const data = validate(updateSchema, input);
  const customer = await loadPermitted(ctx, Customer, 'Customer', 'update', data.id);
  const { id: _, phone, idNumber, ...fields } = data;
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null) (customer as unknown as Record<string, unknown>)[key] = value;
  }
  Object.assign(customer, sealCustomerPersonalData(ctx.personalData, { phone, idNumber }));
  await ctx.em.flush();
  return customer;
}

export async function moveCustomer(ctx: Context, input: MoveCustomerInput): Promise<Customer> {
  const customer = await loadPermitted(ctx, Customer, 'Customer', 'update', input.customerId, ['input', 'customerId']);
  const target = await loadPermitted(ctx, OrgUnit, 'OrgUnit', 'read', input.orgUnitId, ['input', 'orgUnitId']);
  if (target.id === customer.orgUnit.id)
    throw badField(['input', 'orgUnitId'], 'the customer is already served by this unit');
  // Installed meters stay where they physically are: the new unit must contain their areas.
  const installed = await ctx.em.find(
    MeterAssignment,
    { servicePoint: { customer }, removedAt: null },
    { populate: ['meter', 'meter.orgUnit'] },
  );
  const outside = installed.find((a) => !a.meter.orgUnit.path.startsWith(target.path));
  if (outside) {
    throw badField(
      ['input', 'orgUnitId'],
      `meter ${outside.meter.assetNo} is installed in ${outside.meter.orgUnit.name}, outside the new unit; exchange or remove it first`,
    );
  }
  customer.orgUnit = target;
  await ctx.em.flush();
  return customer;
}
