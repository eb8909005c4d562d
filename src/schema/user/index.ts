// Users, the caller (`me`), role permissions, one-time-code enrolment.
import { UserResolver } from './user.resolver.js';

export const resolvers = [UserResolver] as const;

export { UserType } from './user.type.js';
