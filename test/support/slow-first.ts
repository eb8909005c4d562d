import { statSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files known to take longest start first, whichever project they belong to, so that the
 * workers finish together instead of one running a long file alone at the end. Vitest's own order
 * runs the projects one after the other, and on a clean clone (no timings cached) orders files by
 * size, which says little about their time. The rest go project by project, the longest-known
 * (else largest) first.
 */
const SLOWEST = [
  'test/start.e2e.test.ts',
  'test/fuzz-mutations.e2e.test.ts',
  'test/backup.e2e.test.ts',
  'test/attack-cross-org',
  'test/personal-data.e2e.test.ts',
  'test/schema-exposure.e2e.test.ts',
];

export default class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const root = this.ctx.config.root;
    const rank = (spec: TestSpecification) => {
      const at = SLOWEST.findIndex((name) => spec.moduleId.startsWith(`${root}/${name}`));
      return at < 0 ? SLOWEST.length : at;
    };
    const known = (spec: TestSpecification) =>
      cache.getFileTestResults(`${spec.project.name}:${spec.moduleId.slice(root.length + 1)}`)?.duration;
    const size = (spec: TestSpecification) => statSync(spec.moduleId).size;
    return [...files].sort((a, b) => {
      const group = a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder;
      if (group !== 0) return group;
      const slow = rank(a) - rank(b);
      if (slow !== 0) return slow;
      // Then project by project: a worker runs the files of one project one after the other
      // without starting afresh (the end-to-end project is not isolated); the short unit tests last.
      if (a.project.name !== b.project.name) return a.project.name < b.project.name ? -1 : 1;
      const [da, db] = [known(a), known(b)];
      if (da !== undefined && db !== undefined) return db - da;
      return size(b) - size(a);
    });
  }
}
