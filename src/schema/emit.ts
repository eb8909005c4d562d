import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { createEvents } from '../shared/events.js';
import { createSchema } from './index.js';

/** Writes schema.graphql (sorted, so that a diff shows only real API changes). */
const schema = await createSchema(createEvents());
const header =
  '# Emitted by `npm run schema:emit` from the resolvers. Do not edit; a change here is an API change.\n\n';
writeFileSync(process.argv[2] ?? 'schema.graphql', header + printSchema(lexicographicSortSchema(schema)) + '\n');
