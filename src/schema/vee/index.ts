// VEE (validation, estimation, editing): rule sets, reading versions, edits and estimates.
import { ReadingVeeFieldResolver, ReadingVersionResolver, VeeRuleSetResolver } from './vee.resolver.js';

export const resolvers = [VeeRuleSetResolver, ReadingVeeFieldResolver, ReadingVersionResolver] as const;
