// Training records of the field staff.
import { TrainingRecordResolver, UserTrainingResolver } from './training.resolver.js';

export const resolvers = [TrainingRecordResolver, UserTrainingResolver] as const;
