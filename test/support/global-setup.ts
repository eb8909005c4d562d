import type { TestProject } from 'vitest/node';
import { buildTemplates } from './templates.js';

/**
 * Runs once before the end-to-end files: builds the database templates their servers start from
 * (./templates.ts) on the suite's database, and drops them when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { templates, drop } = await buildTemplates(process.env.DATABASE_URL);
  project.provide('testTemplates', templates);
  return drop;
}
