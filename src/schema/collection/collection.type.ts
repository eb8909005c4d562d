import { Field, ObjectType } from 'type-graphql';

@ObjectType('CollectorPlugin', {
  description: 'A collector plugin as loaded by the server: built-in or a vendor package.',
})
export class CollectorPluginType {
  @Field({
    nullable: true,
    description: 'The collector id, e.g. dlt645-2007-tcp (missing when it failed before declaring one).',
  })
  id?: string;

  @Field({ description: '"builtin", or the package name and version it came from.' })
  source!: string;

  @Field({ nullable: true })
  version?: string;

  @Field({ description: 'READY, or FAILED with the reason in error.' })
  status!: string;

  @Field({ nullable: true })
  error?: string;

  @Field({ nullable: true })
  displayName?: string;

  @Field({ nullable: true, description: 'poll or push' })
  mode?: string;

  @Field({ nullable: true, description: 'tcp, serial, broker, http or virtual' })
  transport?: string;

  @Field()
  timeSync!: boolean;

  @Field()
  relayControl!: boolean;
}
