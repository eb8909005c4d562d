import { Field, FieldResolver, ID, InterfaceType, Resolver, Root, type ClassType } from 'type-graphql';
import { toGlobalId } from '../../shared/global-id.js';

@InterfaceType('Node', {
  description: 'An object with a global ID, fetchable with `node(id)`.',
  // Entities are returned as they are; their class name is the GraphQL type name.
  resolveType: (value: object) => value.constructor.name,
})
export abstract class NodeInterface {
  @Field(() => ID)
  id!: string;
}

/**
 * Base resolver that turns an entity's numeric id into its global ID. Every node type's resolver
 * extends it, so there is one place that decides what an ID looks like.
 */
export function NodeResolver<T extends { id: number | string }>(type: ClassType, typeName: string) {
  @Resolver(() => type)
  abstract class NodeResolverBase {
    @FieldResolver(() => ID, { name: 'id' })
    globalId(@Root() root: T): string {
      return toGlobalId(typeName, root.id);
    }
  }
  return NodeResolverBase;
}
