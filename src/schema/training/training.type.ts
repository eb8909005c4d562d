import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { TrainingResult } from '../../orm/entities/enums.js';
import { ConnectionType, DecimalScalar, LocalDateScalar, NodeInterface } from '../common/index.js';

registerEnumType(TrainingResult, {
  name: 'TrainingResult',
  description: 'PASSED or FAILED an exam; ATTENDED a course without one. PASSED and ATTENDED count as completed.',
});

@ObjectType('TrainingRecord', {
  implements: NodeInterface,
  description: 'One course a staff member took (paper 3.8): what, when, how it went. Feeds the KPIs.',
})
export class TrainingRecordObject extends NodeInterface {
  @Field()
  course!: string;

  @Field(() => LocalDateScalar, { description: 'The local day the course was completed.' })
  completedOn!: string;

  @Field(() => TrainingResult)
  result!: TrainingResult;

  @Field(() => DecimalScalar, { nullable: true, description: 'Exam score out of 100.' })
  score?: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'Hours of training.' })
  hours?: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

export const TrainingRecordConnection = ConnectionType(TrainingRecordObject, 'TrainingRecord');

@InputType()
export class TrainingRecordFilter {
  @Field(() => ID, { nullable: true, description: "This person's records." })
  userId?: string;

  @Field(() => ID, { nullable: true, description: 'Records of people of this unit or any unit below it.' })
  orgUnitSubtree?: string;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Completed on or after.' })
  from?: string;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Completed before (exclusive).' })
  to?: string;

  @Field(() => [TrainingResult], { nullable: true })
  results?: TrainingResult[];
}

@InputType()
export class RecordTrainingInput {
  @Field(() => ID, { description: 'The staff member trained (someone the caller may read).' })
  userId!: string;

  @Field()
  course!: string;

  @Field(() => LocalDateScalar, { description: "Not in the future (today in the time zone of the trainee's unit)." })
  completedOn!: string;

  @Field(() => TrainingResult)
  result!: TrainingResult;

  @Field(() => DecimalScalar, { nullable: true, description: 'Exam score, 0 to 100, at most 2 decimals.' })
  score?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Hours, greater than 0, at most 1 decimal.' })
  hours?: string | null;
}

@InputType({ description: 'Changes a record; fields left out stay, score and hours set to null are cleared.' })
export class UpdateTrainingInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  course?: string;

  @Field(() => LocalDateScalar, { nullable: true })
  completedOn?: string;

  @Field(() => TrainingResult, { nullable: true })
  result?: TrainingResult;

  @Field(() => DecimalScalar, { nullable: true })
  score?: string | null;

  @Field(() => DecimalScalar, { nullable: true })
  hours?: string | null;
}

@InputType()
export class DeleteTrainingInput {
  @Field(() => ID)
  id!: string;
}

@ObjectType()
export class TrainingRecordPayload {
  @Field(() => TrainingRecordObject)
  trainingRecord!: TrainingRecordObject;
}

@ObjectType()
export class DeleteTrainingPayload {
  @Field(() => ID)
  deletedId!: string;
}
