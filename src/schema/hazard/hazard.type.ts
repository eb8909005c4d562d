import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { HazardCategory, HazardStatus } from '../../orm/entities/enums.js';
import { ConnectionType, DecimalScalar, NodeInterface } from '../common/index.js';

registerEnumType(HazardCategory, {
  name: 'HazardCategory',
  description: 'What kind of hazard was found in a meter or meter box.',
});
registerEnumType(HazardStatus, {
  name: 'HazardStatus',
  description: 'REPORTED, then VERIFIED by a manager (earning the reporter points) or DISMISSED.',
});

@ObjectType('HazardReport', {
  implements: NodeInterface,
  description: 'A hazard found in the field, with photos; verified reports earn their reporter points.',
})
export class HazardReportObject extends NodeInterface {
  @Field(() => HazardCategory)
  category!: HazardCategory;

  @Field(() => HazardStatus)
  status!: HazardStatus;

  @Field()
  description!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'Where it was found (WGS-84).' })
  latitude?: string;

  @Field(() => DecimalScalar, { nullable: true })
  longitude?: string;

  @Field(() => Date)
  reportedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it was verified or dismissed.' })
  verifiedAt?: Date;

  @Field(() => Int, { description: 'Points the reporter earned (0 unless VERIFIED).' })
  points!: number;

  @Field(() => String, { nullable: true, description: "The verifier's note (the reason of a dismissal)." })
  verificationNote?: string;
}

export const HazardReportConnection = ConnectionType(HazardReportObject, 'HazardReport');

@InputType()
export class HazardReportFilter {
  @Field(() => [HazardStatus], { nullable: true })
  statuses?: HazardStatus[];

  @Field(() => [HazardCategory], { nullable: true })
  categories?: HazardCategory[];

  @Field(() => ID, { nullable: true, description: 'Reports of this unit or any unit below it.' })
  orgUnitSubtree?: string;

  @Field(() => ID, { nullable: true, description: 'Reports by this user.' })
  reportedById?: string;

  @Field(() => Date, { nullable: true, description: 'Reported at or after.' })
  from?: Date;

  @Field(() => Date, { nullable: true, description: 'Reported before.' })
  to?: Date;
}

@InputType()
export class ReportHazardInput {
  @Field(() => HazardCategory)
  category!: HazardCategory;

  @Field({ description: 'What was found, 1-1000 characters.' })
  description!: string;

  @Field(() => ID, { nullable: true, description: 'The box it is in; the report then belongs to its unit.' })
  meterBoxId?: string;

  @Field(() => ID, { nullable: true, description: 'The meter; the report belongs to its unit when no box is given.' })
  meterId?: string;

  @Field(() => ID, { nullable: true })
  customerId?: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'Where it was found, degrees; with longitude.' })
  latitude?: string;

  @Field(() => DecimalScalar, { nullable: true })
  longitude?: string;

  @Field(() => [ID], {
    nullable: true,
    description: 'Photos the reporter uploaded beforehand (POST /field/photos) and not yet linked to anything.',
  })
  photoIds?: string[];
}

@InputType()
export class VerifyHazardInput {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, {
    nullable: true,
    description:
      'Points awarded, 1-100; default by category: ELECTRICITY_THEFT 10, WIRING_DANGER 8, SEAL_BROKEN 5, METER_FAULT 5, METER_BOX_DAMAGE 3, OTHER 2.',
  })
  points?: number;

  @Field(() => String, { nullable: true })
  note?: string;
}

@InputType()
export class DismissHazardInput {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Why it is not a hazard, 1-500 characters.' })
  note!: string;
}

@ObjectType()
export class HazardReportPayload {
  @Field(() => HazardReportObject)
  hazardReport!: HazardReportObject;
}
