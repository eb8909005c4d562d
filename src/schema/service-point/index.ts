// Service points and the meters installed on them (installation, removal, exchange).
import {
  CustomerServicePointsResolver,
  MeterAssignmentResolver,
  MeterServicePointResolver,
  ServicePointResolver,
} from './service-point.resolver.js';

export const resolvers = [
  ServicePointResolver,
  MeterAssignmentResolver,
  MeterServicePointResolver,
  CustomerServicePointsResolver,
] as const;

export { checkRegisterValue } from './service-point.service.js';
