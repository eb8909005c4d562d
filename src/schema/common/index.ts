// The kernel of the API, which every module uses and which imports no feature module: what a
// resolver receives (Context), connections and pages, global IDs and permitted rows, the Node
// interface, scalars, per-request loaders, the checks of subscriptions, database errors, and the
// guards the schema applies to every field.
export { fieldAccessOf, guardFields, objectTypeOf, ruleFields, writesWithoutGrants } from './access-guards.js';
export {
  type Connection,
  connectionOf,
  ConnectionType,
  decodeCursor,
  emptyConnection,
  FirstArgs,
  OrderDirection,
  PageArgs,
  pageSize,
  paginate,
} from './connection.js';
export type { Context, SettlementRunner } from './context.js';
export { mapDatabaseError } from './db-errors.js';
export { loadPermitted } from './load-permitted.js';
export { createLoaders, perRequest, readableById, renewRequestState, sharedEventRow, subtreePath } from './loaders.js';
export { localId } from './local-id.js';
export { NodeInterface, NodeResolver } from './node.js';
export { DateTimeScalar, DecimalScalar, LocalDateScalar } from './scalars.js';
export { sessionOpen, subscriberMayReceive } from './subscriptions.js';
export { escapeLike, subtreeCondition } from './subtree.js';
