// Fails when src/ has an import cycle. Type-only imports and re-exports count: a cycle of types
// still ties the files together (one cannot be read, moved or tested without the other).
import madge from 'madge';

/**
 * Cycles known and being removed, each as madge prints it. Listed here so that the check can run
 * in `npm run check` meanwhile: any other cycle fails it, and a listed one that is gone is reported
 * so that its line is deleted.
 */
const KNOWN = [
  // The plugin host and its worker wrapper share error and sink types; reworked with the plugin host.
  'plugins/plugin-host.ts > plugins/worker-plugin.ts',
];

const result = await madge('src', {
  fileExtensions: ['ts'],
  tsConfig: 'tsconfig.json',
  detectiveOptions: { ts: { skipTypeImports: false, skipAsyncImports: false } },
});

// A cycle has no first file: compare them from the same one.
const normalise = (cycle) => {
  const first = cycle.indexOf([...cycle].sort()[0]);
  return [...cycle.slice(first), ...cycle.slice(0, first)].join(' > ');
};
const found = result.circular().map(normalise);
const known = new Set(KNOWN.map((line) => normalise(line.split(' > '))));
const unexpected = found.filter((cycle) => !known.has(cycle));
const gone = [...known].filter((cycle) => !found.includes(cycle));

for (const cycle of gone) console.log(`known cycle gone, delete it from tools/check-cycles.mjs: ${cycle}`);
if (unexpected.length) {
  console.error(`${unexpected.length} import cycle(s) in src/:`);
  for (const cycle of unexpected) console.error(`  ${cycle}`);
  process.exit(1);
}
const files = Object.keys(result.obj()).length;
const besides =
  known.size - gone.length ? `, besides the known: ${[...known].filter((c) => !gone.includes(c)).join('; ')}` : '';
console.log(`no import cycles in src/ (${files} files)${besides}`);
