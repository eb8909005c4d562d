// A stand-in for Example Vendor's gateway: answers GET /meters/{address} with JSON. Used by the
// plugin's own tests and by anyone trying the plugin without hardware.
import { createServer } from 'node:http';

/** Starts the simulator on a free port; `meters` maps address -> a function returning the JSON body. */
export async function startSimulator(meters) {
  const server = createServer((req, res) => {
    const match = /^\/meters\/([^/]+)$/.exec(req.url ?? '');
    const meter = match && meters[decodeURIComponent(match[1])];
    if (!meter) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(meter()));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
