// `node(id)`: any object by its global ID.
import { NodeQueryResolver } from './node.resolver.js';

export const resolvers = [NodeQueryResolver] as const;
