import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { CustomerCategory, MeterProtocol } from '../../orm/entities/enums.js';
import { DecimalScalar } from '../common/index.js';

@InputType({
  description:
    'One line of a batch file: a customer, its meter box and its meter. Natural keys decide create or update.',
})
export class ArchiveImportRow {
  @Field({ description: 'Unit (supply station or transformer area) code the customer belongs to.' })
  orgUnitCode!: string;

  @Field()
  accountNo!: string;

  @Field()
  customerName!: string;

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

  @Field(() => Int, { nullable: true })
  billingDay?: number;

  @Field({ nullable: true })
  meterBoxBarcode?: string;

  @Field({ nullable: true, description: 'Transformer area code of the box; default orgUnitCode.' })
  meterBoxAreaCode?: string;

  @Field(() => DecimalScalar, { nullable: true })
  latitude?: string;

  @Field(() => DecimalScalar, { nullable: true })
  longitude?: string;

  @Field({ nullable: true })
  meterAssetNo?: string;

  @Field({ nullable: true })
  meterBarcode?: string;

  @Field({ nullable: true })
  commAddress?: string;

  @Field(() => MeterProtocol, { nullable: true })
  protocol?: MeterProtocol;

  @Field({ nullable: true })
  manufacturer?: string;

  @Field({ nullable: true })
  model?: string;

  @Field(() => DecimalScalar, { nullable: true })
  ctRatio?: string;

  @Field(() => DecimalScalar, { nullable: true })
  ptRatio?: string;

  @Field({ nullable: true })
  accuracyClass?: string;

  @Field(() => Date, { nullable: true, description: 'Install the meter on the customer at this time.' })
  installedAt?: Date;

  @Field(() => DecimalScalar, { nullable: true })
  initialReading?: string;
}

@InputType()
export class ImportArchiveInput {
  @Field(() => [ArchiveImportRow])
  rows!: ArchiveImportRow[];

  @Field({ defaultValue: false, description: 'true: one bad row rejects the whole batch; false: good rows are kept.' })
  allOrNothing!: boolean;
}

@ObjectType()
export class ImportRowError {
  @Field(() => Int, { description: 'Zero-based index of the row in input.rows.' })
  row!: number;

  @Field()
  code!: string;

  @Field()
  message!: string;

  @Field(() => [[String]], { description: "Offending fields, e.g. [['input','rows','3','accountNo']]." })
  paths!: string[][];
}

@ObjectType()
export class ImportCounts {
  @Field(() => Int)
  customers!: number;

  @Field(() => Int)
  meterBoxes!: number;

  @Field(() => Int)
  meters!: number;

  @Field(() => Int)
  installations!: number;
}

@ObjectType()
export class ImportArchivePayload {
  @Field({ description: 'false when allOrNothing rejected the batch: nothing was written.' })
  committed!: boolean;

  @Field(() => Int)
  succeededRows!: number;

  @Field(() => Int)
  failedRows!: number;

  @Field(() => ImportCounts)
  created!: ImportCounts;

  @Field(() => ImportCounts)
  updated!: ImportCounts;

  @Field(() => [ImportRowError])
  errors!: ImportRowError[];
}
