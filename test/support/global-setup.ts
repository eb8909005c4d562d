import type { TestProject } from 'vitest/node';
import { buildTemplates } from './templates.js';

/**
 * Runs once before the end-to-end files: builds the database templates their servers start from
 * (./templates.ts) on the suite's database, and drops them when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  const { templates, background, drop } = await buildTemplates(process.env.DATABASE_URL);
  project.provide('testTemplates', templates);
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  console.log(`database templates (${templates.kind}) built in ${seconds()} s`);
  void background.then(() => console.log(`the demo-months template built after ${seconds()} s`));
  return async () => {
    await background;
    await drop();
  };
}
