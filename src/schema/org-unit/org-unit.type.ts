import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { OrgUnitKind } from '../../orm/entities/enums.js';
import { ConnectionType, NodeInterface, OrderDirection } from '../common/index.js';

registerEnumType(OrgUnitKind, { name: 'OrgUnitKind', description: 'Level in the organisation tree.' });

@ObjectType('OrgUnit', {
  implements: NodeInterface,
  description: 'A company, bureau, supply station or transformer area.',
})
export class OrgUnitType extends NodeInterface {
  @Field(() => OrgUnitKind)
  kind!: OrgUnitKind;

  @Field()
  code!: string;

  @Field()
  name!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

export const OrgUnitConnection = ConnectionType(OrgUnitType, 'OrgUnit');

export enum OrgUnitOrderField {
  NAME = 'name',
  CODE = 'code',
  CREATED_AT = 'createdAt',
}
registerEnumType(OrgUnitOrderField, { name: 'OrgUnitOrderField' });

@InputType()
export class OrgUnitOrder {
  @Field(() => OrgUnitOrderField)
  field!: OrgUnitOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.ASC })
  direction!: OrderDirection;
}

@InputType()
export class OrgUnitFilter {
  @Field(() => [OrgUnitKind], { nullable: true })
  kinds?: OrgUnitKind[];

  @Field(() => ID, { nullable: true, description: 'Only units in the subtree of this unit (itself included).' })
  subtreeOf?: string;

  @Field(() => ID, { nullable: true, description: 'Only direct children of this unit.' })
  parentId?: string;

  @Field({ nullable: true, description: 'Case-insensitive match on name or code.' })
  search?: string;
}

@InputType()
export class CreateOrgUnitInput {
  @Field(() => OrgUnitKind)
  kind!: OrgUnitKind;

  @Field()
  code!: string;

  @Field()
  name!: string;

  @Field(() => ID, { nullable: true, description: 'Required for every kind but COMPANY.' })
  parentId?: string;

  @Field({ nullable: true, description: 'IANA time zone; inherited from the parent when null.' })
  timeZone?: string;
}

@InputType()
export class UpdateOrgUnitInput {
  @Field(() => ID)
  id!: string;

  @Field({ nullable: true })
  name?: string;

  @Field({ nullable: true })
  timeZone?: string;

  @Field(() => ID, { nullable: true, description: 'Move the unit (and its subtree) under another parent.' })
  parentId?: string;

  @Field(() => ID, { nullable: true, description: "Transformer areas: the area's supply (total) meter." })
  supplyMeterId?: string;
}

@ObjectType()
export class OrgUnitPayload {
  @Field(() => OrgUnitType)
  orgUnit!: OrgUnitType;
}
