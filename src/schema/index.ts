import { buildSchema } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
import type { Events } from '../shared/events.js';
import { DateTimeScalar, guardFields, writesWithoutGrants } from './common/index.js';
import { resolvers as account } from './account/index.js';
import { resolvers as alarm } from './alarm/index.js';
import { resolvers as apiKey } from './api-key/index.js';
import { resolvers as archiveImport } from './archive-import/index.js';
import { resolvers as assessment } from './assessment/index.js';
import { resolvers as audit } from './audit/index.js';
import { resolvers as collection } from './collection/index.js';
import { resolvers as consumption } from './consumption/index.js';
import { resolvers as customer } from './customer/index.js';
import { resolvers as field } from './field/index.js';
import { resolvers as hazard } from './hazard/index.js';
import { resolvers as lineLoss } from './line-loss/index.js';
import { resolvers as loginPolicy } from './login-policy/index.js';
import { resolvers as meter } from './meter/index.js';
import { resolvers as meterBox } from './meter-box/index.js';
import { resolvers as node } from './node/index.js';
import { resolvers as orgUnit } from './org-unit/index.js';
import { resolvers as reading } from './reading/index.js';
import { resolvers as readingRound } from './reading-round/index.js';
import { resolvers as report } from './report/index.js';
import { resolvers as servicePoint } from './service-point/index.js';
import { resolvers as session } from './session/index.js';
import { resolvers as settlement } from './settlement/index.js';
import { resolvers as sharing } from './sharing/index.js';
import { resolvers as tariff } from './tariff/index.js';
import { resolvers as training } from './training/index.js';
import { resolvers as user } from './user/index.js';
import { resolvers as vee } from './vee/index.js';
import { resolvers as workOrder } from './work-order/index.js';

/** Every module's resolvers: a module adds its own, and the fields it brings to other modules' types. */
export const resolvers = [
  ...orgUnit,
  ...meterBox,
  ...meter,
  ...customer,
  ...servicePoint,
  ...reading,
  ...user,
  ...session,
  ...archiveImport,
  ...node,
  ...collection,
  ...alarm,
  ...audit,
  ...loginPolicy,
  ...apiKey,
  ...sharing,
  ...consumption,
  ...settlement,
  ...tariff,
  ...vee,
  ...lineLoss,
  ...account,
  ...report,
  ...workOrder,
  ...training,
  ...assessment,
  ...readingRound,
  ...field,
  ...hazard,
] as const;

/** The whole API. Deterministic: the emitted schema.graphql is compared in CI. */
export async function createSchema(events: Events): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    pubSub: events,
    validate: false,
    emitSchemaFile: false,
  });
  // Rules that apply to the whole schema rather than to one resolver (sharing grants, field rules).
  writesWithoutGrants(schema);
  guardFields(schema);
  return schema;
}
