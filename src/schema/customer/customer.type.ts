import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { CustomerCategory, CustomerStatus } from '../../orm/entities/enums.js';
import { ConnectionType, DecimalScalar, NodeInterface, OrderDirection } from '../common/index.js';

registerEnumType(CustomerCategory, { name: 'CustomerCategory' });
registerEnumType(CustomerStatus, { name: 'CustomerStatus' });

@ObjectType('Customer', { implements: NodeInterface, description: 'A customer account (户号).' })
export class CustomerType extends NodeInterface {
  @Field()
  accountNo!: string;

  @Field()
  name!: string;

  @Field(() => CustomerCategory)
  category!: CustomerCategory;

  @Field(() => CustomerStatus)
  status!: CustomerStatus;

  @Field()
  address!: string;

  @Field(() => DecimalScalar, { description: 'Contracted capacity in kVA.' })
  contractedCapacity!: string;

  @Field({ description: 'Local time (HH:MM) the reading window opens.' })
  readingWindowStart!: string;

  @Field({ description: 'Local time (HH:MM) the reading window closes.' })
  readingWindowEnd!: string;

  @Field(() => Int, { description: 'Day of month (1-28) the billing cycle closes.' })
  billingDay!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

export const CustomerConnection = ConnectionType(CustomerType, 'Customer');

export enum CustomerOrderField {
  ACCOUNT_NO = 'accountNo',
  NAME = 'name',
  CREATED_AT = 'createdAt',
}
registerEnumType(CustomerOrderField, { name: 'CustomerOrderField' });

@InputType()
export class CustomerOrder {
  @Field(() => CustomerOrderField)
  field!: CustomerOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.ASC })
  direction!: OrderDirection;
}

@InputType()
export class CustomerFilter {
  @Field(() => [CustomerCategory], { nullable: true })
  categories?: CustomerCategory[];

  @Field(() => [CustomerStatus], { nullable: true })
  statuses?: CustomerStatus[];

  @Field(() => ID, { nullable: true, description: 'Customers of this unit or any unit below it.' })
  orgUnitSubtree?: string;

  @Field({ nullable: true, description: 'Prefix of the account number, or part of the name.' })
  search?: string;

  @Field({
    nullable: true,
    description: 'Exact phone number, compared by its digits. FORBIDDEN to callers who may not read phone numbers.',
  })
  phone?: string;

  @Field({
    nullable: true,
    description: 'Exact resident ID number (case-insensitive). FORBIDDEN to callers who may not read ID numbers.',
  })
  idNumber?: string;
}

@InputType()
export class CreateCustomerInput {
  @Field()
  accountNo!: string;

  @Field()
  name!: string;

  @Field(() => CustomerCategory)
  category!: CustomerCategory;

  @Field({ nullable: true })
  phone?: string;

  @Field({ nullable: true })
  idNumber?: string;

  @Field()
  address!: string;

  @Field(() => DecimalScalar)
  contractedCapacity!: string;

  @Field(() => ID, { description: 'The supply station (or a unit below it) serving the customer.' })
  orgUnitId!: string;

  @Field({ nullable: true, defaultValue: '00:00' })
  readingWindowStart?: string;

  @Field({ nullable: true, defaultValue: '06:00' })
  readingWindowEnd?: string;

  @Field(() => Int, { nullable: true, defaultValue: 1 })
  billingDay?: number;
}

@InputType()
export class UpdateCustomerInput {
  @Field(() => ID)
  id!: string;

  @Field({ nullable: true })
  name?: string;

  @Field(() => CustomerCategory, { nullable: true })
  category?: CustomerCategory;

  @Field(() => CustomerStatus, { nullable: true })
  status?: CustomerStatus;

  @Field({ nullable: true })
  phone?: string;

  @Field({ nullable: true })
  idNumber?: string;

  @Field({ nullable: true })
  address?: string;

  @Field(() => DecimalScalar, { nullable: true })
  contractedCapacity?: string;

  @Field({ nullable: true })
  readingWindowStart?: string;

  @Field({ nullable: true })
  readingWindowEnd?: string;

  @Field(() => Int, { nullable: true })
  billingDay?: number;
}

@InputType()
export class MoveCustomerInput {
  @Field(() => ID)
  customerId!: string;

  @Field(() => ID, { description: 'The new serving unit.' })
  orgUnitId!: string;
}

@ObjectType()
export class CustomerPayload {
  @Field(() => CustomerType)
  customer!: CustomerType;
}
