// Reading rounds: routes of boxes, rounds as work orders with a stop per meter, field readings,
// periodic verification orders.
import { ReadingRoundResolver, ReadingRouteBoxResolver, ReadingRouteResolver } from './reading-round.resolver.js';

export const resolvers = [ReadingRouteResolver, ReadingRouteBoxResolver, ReadingRoundResolver] as const;

export { zoneOf } from './order-planning.js';
export { planVerification } from './verification.service.js';
