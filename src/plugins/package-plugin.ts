import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What the host learns from a plugin package's package.json before running any of its code. */
export interface PluginManifest {
  name: string;
  version: string;
  /** file:// URL of the module to load. */
  entryUrl: string;
  /** Range of SDK versions the plugin supports (`"metergraph": { "sdk": "^1.0.0" }`). */
  sdkRange: string;
}

export class PluginLoadError extends Error {}

/**
 * Finds a plugin package: an absolute or relative folder, or a package name resolved from `from`
 * (the installation's folder). Reads its package.json only; no plugin code runs here.
 */
export function readManifest(spec: string, from: string): PluginManifest {
  let dir: string;
  if (spec.startsWith('.') || isAbsolute(spec)) {
    dir = resolve(from, spec);
  } else {
    try {
      dir = dirname(createRequire(join(from, 'package.json')).resolve(`${spec}/package.json`));
    } catch {
      throw new PluginLoadError(`plugin package "${spec}" is not installed (npm install ${spec})`);
    }
  }
  let pkg: { name?: string; version?: string; main?: string; exports?: unknown; metergraph?: { sdk?: string } };
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    throw new PluginLoadError(`plugin "${spec}": no readable package.json in ${dir}`);
  }
  const sdkRange = pkg.metergraph?.sdk;
  if (!sdkRange) throw new PluginLoadError(`plugin "${spec}": package.json lacks "metergraph": { "sdk": "<range>" }`);
  const exported =
    typeof pkg.exports === 'string' ? pkg.exports : (pkg.exports as { '.'?: unknown } | undefined)?.['.'];
  const entry =
    (typeof exported === 'string'
      ? exported
      : (exported as { import?: string; default?: string } | undefined)?.import) ??
    (exported as { default?: string } | undefined)?.default ??
    pkg.main ??
    'index.js';
  return {
    name: pkg.name ?? spec,
    version: pkg.version ?? '0.0.0',
    entryUrl: pathToFileURL(resolve(dir, entry)).href,
    sdkRange,
  };
}
