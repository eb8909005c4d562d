import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { type Router } from 'express';

const require = createRequire(import.meta.url);

/** The browser bundles GraphiQL needs, served from our own origin: the playground works offline. */
const ASSETS: Record<string, { pkg: string; file: string; type: string }> = {
  'react.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript' },
  'graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
  'graphql-ws.js': { pkg: 'graphql-ws', file: 'umd/graphql-ws.min.js', type: 'text/javascript' },
};

/**
 * These files are not in their packages' "exports" maps, so require.resolve refuses them by subpath;
 * every package exports its package.json, which gives the package folder to read them from.
 */
function assetPath(asset: { pkg: string; file: string }): string {
  return join(dirname(require.resolve(`${asset.pkg}/package.json`)), asset.file);
}

const DEFAULT_QUERY = `# Welcome to the Metergraph playground.
# 1. Run the login mutation below (demo: admin / metergraph-admin).
# 2. Copy accessToken into the Headers tab: {"Authorization": "Bearer <accessToken>"}
# 3. Run the other operations; subscriptions run over WebSocket with the same header.

mutation Login {
  login(input: { username: "admin", password: "metergraph-admin" }) {
    accessToken
    expiresAt
    user { username role }
  }
}

query Meters {
  meters(first: 5) {
    totalCount
    nodes { assetNo commAddress status customer { accountNo name } latestReading { value measuredAt } }
  }
}

subscription LiveReadings {
  readingRecorded { value measuredAt meter { assetNo } }
}
`;

function page(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>Metergraph playground</title>
<link rel="stylesheet" href="/graphiql/assets/graphiql.css" />
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading the playground...</div>
<script src="/graphiql/assets/react.js"></script>
<script src="/graphiql/assets/react-dom.js"></script>
<script src="/graphiql/assets/graphiql.js"></script>
<script src="/graphiql/assets/graphql-ws.js"></script>
<script src="/graphiql/assets/playground.js"></script>
</body>
</html>`;
}

// Plain browser script: HTTP for queries and mutations, graphql-ws for subscriptions, the
// Authorization header from the Headers tab used for both (as connection_init params on WebSocket).
function script(): string {
  return `(function () {
  var wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql';
  var clients = {};
  function wsClient(auth) {
    var key = auth || '';
    if (!clients[key]) {
      clients[key] = graphqlWs.createClient({ url: wsUrl, lazy: true, connectionParams: auth ? { authorization: auth } : {} });
    }
    return clients[key];
  }
  var httpFetcher = GraphiQL.createFetcher({ url: location.origin + '/graphql' });
  function isSubscription(params) {
    var query = params.query || '';
    if (params.operationName) {
      return new RegExp('subscription\\\\s+' + params.operationName + '\\\\b').test(query);
    }
    return /^\\s*subscription\\b/m.test(query.replace(/#.*$/gm, ''));
  }
  // The headers template holds an Authorization header without a token ("Bearer "), to be completed
  // after the login mutation; until then send none, or the server rejects the login as malformed.
  function withoutEmptyAuthorization(headers) {
    var result = {};
    Object.keys(headers || {}).forEach(function (name) {
      var value = headers[name];
      if (name.toLowerCase() === 'authorization' && /^\\s*(bearer\\s*)?$/i.test(value == null ? '' : String(value))) return;
      result[name] = value;
    });
    return result;
  }
  function fetcher(params, opts) {
    var headers = withoutEmptyAuthorization(opts && opts.headers);
    var auth = headers.Authorization || headers.authorization;
    if (isSubscription(params)) {
      return wsClient(auth).iterate({ query: params.query, variables: params.variables, operationName: params.operationName });
    }
    return httpFetcher(params, Object.assign({}, opts, { headers: headers }));
  }
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: ${JSON.stringify(DEFAULT_QUERY)},
    defaultHeaders: '{\\n  "Authorization": "Bearer "\\n}',
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true
  }));
})();`;
}

export function playgroundRouter(): Router {
  const router = express.Router();
  const html = page();
  const js = script();
  const cache = new Map<string, Buffer>();
  router.get('/', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-cache').send(html);
  });
  router.get('/assets/playground.js', (_req, res) => {
    res.type('text/javascript').send(js);
  });
  router.get('/assets/:name', (req, res) => {
    const asset = ASSETS[req.params.name];
    if (!asset) {
      res.status(404).end();
      return;
    }
    let body = cache.get(req.params.name);
    if (!body) {
      body = readFileSync(assetPath(asset));
      cache.set(req.params.name, body);
    }
    res.type(asset.type).set('Cache-Control', 'public, max-age=86400').send(body);
  });
  return router;
}
