// A collector for "Example Vendor" meters that answer HTTP requests with JSON:
//   GET {baseUrl}/meters/{address}  ->  { "time": "2026-11-26T08:00:00Z",
//                                         "energy": { "import": "1234.56", "tariffs": ["1.00", ...] },
//                                         "voltage": "220.1" }
// It imports nothing but the collector SDK, as every plugin must.
import { badValue, defineCollector, z } from '@metergraph/collector-sdk';

export const deviceSchema = z.object({
  /** Where the meter (or the vendor's gateway) answers, e.g. http://10.0.0.5:8080 */
  baseUrl: z.string().regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, 'must be an http:// or https:// URL'),
  address: z.string().regex(/^[0-9A-Za-z-]{1,32}$/, 'must be the meter address printed on its label'),
});

export const pointSchema = z.object({
  /** Dot path into the answer, e.g. "energy.import" or "energy.tariffs.2". */
  field: z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/),
});

const DECIMAL = /^\d+(\.\d+)?$/;

function pick(document, path) {
  return path
    .split('.')
    .reduce((node, key) => (node !== null && typeof node === 'object' ? node[key] : undefined), document);
}

/** One meter; each read is one HTTP request for all points. */
class HttpJsonSession {
  constructor(device, ctx) {
    this.device = device;
    this.ctx = ctx;
  }

  /** HTTP needs no connection; checking the meter answers at all gives early, clear errors. */
  async connect(signal) {
    const response = await fetch(this.url(), { signal });
    if (!response.ok && response.status !== 404) throw new Error(`meter gateway answered HTTP ${response.status}`);
  }

  url() {
    return `${this.device.baseUrl.replace(/\/$/, '')}/meters/${encodeURIComponent(this.device.address)}`;
  }

  async read(points, signal) {
    const now = this.ctx.now();
    let response;
    try {
      response = await fetch(this.url(), { signal });
    } catch (error) {
      if (signal.aborted) throw error;
      return points.map((p) => badValue(p.id, `no answer: ${error.message}`, now));
    }
    if (response.status === 404) return points.map((p) => badValue(p.id, 'the gateway does not know this meter', now));
    if (!response.ok) return points.map((p) => badValue(p.id, `HTTP ${response.status}`, now));
    let body;
    try {
      body = await response.json();
    } catch {
      return points.map((p) => badValue(p.id, 'answer is not JSON', now));
    }
    const measuredAt =
      typeof body.time === 'string' && !Number.isNaN(Date.parse(body.time)) ? new Date(body.time) : now;
    return points.map((p) => {
      const raw = pick(body, p.settings.field);
      const text = typeof raw === 'number' ? String(raw) : raw;
      if (typeof text !== 'string' || !DECIMAL.test(text))
        return badValue(p.id, `no decimal at ${p.settings.field}`, measuredAt);
      return { pointId: p.id, value: text, quality: 'good', measuredAt };
    });
  }

  async close() {}
}

export default defineCollector({
  describe: () => ({
    id: 'example-vendor-http-json',
    displayName: { en: 'Example Vendor meters (JSON over HTTP)', zh: '示例厂商电表 (HTTP JSON)' },
    mode: 'poll',
    transport: 'http',
  }),
  deviceSchema,
  pointSchema,
  // Meters behind one gateway share it: one request at a time.
  resourceKey: (device) => `http:${new URL(device.settings.baseUrl).host}`,
  createSession: (device, ctx) => new HttpJsonSession(device.settings, ctx),
});
