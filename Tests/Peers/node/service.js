#!/usr/bin/env node
// A staging-like auth service on Node's http and the `ws` library (Debian's
// node-ws), for the differential tests. Not written around authreplay: its
// own choices (close codes 4401/4403, a `bearer` subprotocol, an
// `access_token` cookie, first-message auth, fragments through ws's
// `fin: false`, permessage-deflate through ws's own `perMessageDeflate`, a
// server ping).
//
//     node service.js --port 0 [--regression]
//
// prints `listening on http://127.0.0.1:PORT` as its first stdout line. The
// same API as ../python/service.py.
'use strict';

const http = require('http');
const crypto = require('crypto');
const { WebSocketServer } = requireWS();

function requireWS() {
  try { return require('ws'); } catch (e) { return require('/usr/share/nodejs/ws'); }
}

const SECRET = Buffer.from('peer-staging-secret-0123456789abcdef');
const TOKEN_LIFETIME = 2; // seconds: the expired-token scenario waits it out
const USERS = { alice: 'correct horse battery staple' };
const USER_CONTEXT_ERROR = 'user_context must be a UserExecutionContext instance';

const args = process.argv.slice(2);
let port = 0;
let regression = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--port') port = Number(args[++i]);
  else if (args[i] === '--regression') regression = true;
  else { console.error(`unknown argument ${args[i]}`); process.exit(2); }
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function mint(sub) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ sub, iss: 'peer-node', iat: now, exp: now + TOKEN_LIFETIME, jti: crypto.randomUUID() }));
  const signature = crypto.createHmac('sha256', SECRET).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

function verify(token) {
  if (!token) return { why: 'missing token' };
  const parts = String(token).split('.');
  if (parts.length !== 3) return { why: 'malformed token' };
  const expected = crypto.createHmac('sha256', SECRET).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return { why: 'bad signature' };
  let claims;
  try { claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString()); } catch (e) { return { why: 'malformed token' }; }
  if (!(claims.exp > Date.now() / 1000)) return { why: 'token expired' };
  return { user: claims.sub };
}

const refreshTokens = new Map();

function issue(user) {
  const refresh = crypto.randomBytes(32).toString('base64url');
  refreshTokens.set(refresh, user);
  return { access_token: mint(user), refresh_token: refresh, token_type: 'Bearer', expires_in: TOKEN_LIFETIME };
}

function sendJSON(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function readJSON(req, done) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try { done(JSON.parse(Buffer.concat(chunks).toString() || 'null')); } catch (e) { done(undefined); }
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (req.method === 'POST' && url.pathname === '/auth/token') {
    return readJSON(req, (body) => {
      if (!body || typeof body !== 'object') return sendJSON(res, 400, { error: 'invalid_request' });
      if (!USERS[body.username] || USERS[body.username] !== body.password) {
        return sendJSON(res, 401, { error: 'invalid_credentials', message: 'wrong username or password' });
      }
      sendJSON(res, 200, issue(body.username));
    });
  }
  if (req.method === 'POST' && url.pathname === '/auth/refresh') {
    return readJSON(req, (body) => {
      const token = body && body.refresh_token;
      const user = refreshTokens.get(token);
      if (!user) return sendJSON(res, 401, { error: 'invalid_refresh_token' });
      refreshTokens.delete(token);
      sendJSON(res, 200, issue(user));
    });
  }
  sendJSON(res, 404, { error: 'not_found', path: url.pathname });
});

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: { threshold: 0 },
  handleProtocols: (protocols, req) => (req.authSource === 'subprotocol' ? 'bearer' : false),
});

function parseCookies(header) {
  const out = {};
  for (const part of String(header || '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname !== '/ws') {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  const offered = String(req.headers['sec-websocket-protocol'] || '').split(',').map((p) => p.trim()).filter(Boolean);
  const authorization = String(req.headers.authorization || '');
  const cookies = parseCookies(req.headers.cookie);
  let token = null;
  let source = null;
  if (/^bearer /i.test(authorization)) { token = authorization.slice(7).trim(); source = 'header'; }
  else if (url.searchParams.has('token')) { token = url.searchParams.get('token'); source = 'query'; }
  else if (offered.length >= 2 && offered[0] === 'bearer') { token = offered[1]; source = 'subprotocol'; }
  else if (cookies.access_token) { token = cookies.access_token; source = 'cookie'; }

  if (source === 'header') {
    const verdict = verify(token);
    if (!verdict.user && verdict.why !== 'token expired') {
      // A bad Authorization header is refused before the upgrade.
      const body = JSON.stringify({ error: 'invalid_token', message: verdict.why });
      socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
  }
  req.authSource = source;
  wss.handleUpgrade(req, socket, head, (ws) => session(ws, url.searchParams.get('stream') || 'default', token, source));
});

function refuse(ws, why) {
  ws.send(JSON.stringify({
    type: 'error_message',
    error_code: 'AUTH_REQUIRED',
    error_message: 'Authentication failed: Valid JWT token required for WebSocket connection',
    details: { error: why },
    timestamp: Date.now() / 1000,
  }));
  ws.close(4401, 'auth required');
}

function session(ws, stream, token, source) {
  const authenticated = (user, via) => {
    ws.send(JSON.stringify({ type: 'auth_ok', user, via, stream, connection_id: crypto.randomUUID(), server_time: Date.now() / 1000 }));
    if (stream === 'heartbeat') ws.ping('hb');
    let seq = 0;
    ws.on('pong', (data) => ws.send(JSON.stringify({ type: 'pong_received', payload: data.toString() })));
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        ws.send(JSON.stringify({ type: 'binary_received', length: data.length, sha256: crypto.createHash('sha256').update(data).digest('hex') }));
        return;
      }
      let message;
      try { message = JSON.parse(data.toString()); } catch (e) { ws.send(JSON.stringify({ type: 'error_message', error_code: 'BAD_MESSAGE' })); return; }
      if (message.type === 'subscribe') {
        if (message.channel === 'admin') {
          ws.send(JSON.stringify({ type: 'error_message', error_code: 'FORBIDDEN', error_message: 'not allowed on channel admin', timestamp: Date.now() / 1000 }));
          ws.close(4403, 'forbidden');
          return;
        }
        seq += 1;
        ws.send(JSON.stringify({ type: 'data', channel: message.channel, seq, price: 101.25, ts: Date.now() / 1000 }));
      } else if (message.type === 'bulk_request') {
        const items = [];
        for (let i = 0; i < Number(message.count || 0); i++) items.push(`item-${i}`);
        const text = Buffer.from(JSON.stringify({ type: 'bulk', items }));
        const size = Math.ceil(text.length / 3);
        for (let i = 0; i < text.length; i += size) {
          ws.send(text.subarray(i, i + size), { binary: false, fin: i + size >= text.length, compress: false });
        }
        ws.send(Buffer.from([...Array(256).keys()]), { binary: true });
      } else if (message.type === 'echo') {
        ws.send(JSON.stringify({ type: 'echo', text: message.text, length: data.length }));
      } else {
        ws.send(JSON.stringify({ type: 'error_message', error_code: 'UNKNOWN_TYPE', received: message.type }));
      }
    });
  };
  const decide = (tok, via) => {
    const verdict = verify(tok);
    if (!verdict.user) return refuse(ws, verdict.why);
    if (regression) return refuse(ws, USER_CONTEXT_ERROR);
    authenticated(verdict.user, via);
  };
  if (source) return decide(token, source);
  // First-message auth: {"type":"auth","token":...}.
  ws.once('message', (data, isBinary) => {
    let first = null;
    if (!isBinary) { try { first = JSON.parse(data.toString()); } catch (e) { first = null; } }
    if (first && typeof first === 'object' && first.type === 'auth') decide(first.token, 'message');
    else refuse(ws, 'first message must be an auth message');
  });
}

server.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const client of wss.clients) client.terminate();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
