// Fails when src/ has an import cycle. Type-only imports and re-exports count: a cycle of types
// still ties the files together (one cannot be read, moved or tested without the other).
import madge from 'madge';

const result = await madge('src', {
  fileExtensions: ['ts'],
  tsConfig: 'tsconfig.json',
  detectiveOptions: { ts: { skipTypeImports: false, skipAsyncImports: false } },
});

const cycles = result.circular();
if (cycles.length) {
  console.error(`${cycles.length} import cycle(s) in src/:`);
  for (const cycle of cycles) console.error(`  ${cycle.join(' > ')}`);
  process.exit(1);
}
const files = Object.keys(result.obj()).length;
console.log(`no import cycles in src/ (${files} files)`);
