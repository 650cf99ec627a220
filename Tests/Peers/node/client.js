#!/usr/bin/env node
// The scenarios' client on Node's http and the `ws` library, for the Python
// service (aiohttp): a client written with another library than the service
// it drives. The same scenarios as ../python/client.py.
//
//     node client.js --base http://127.0.0.1:PORT [--scenario NAME]... [--list]
//
// prints one normalized JSON line per event (HTTP answers, WebSocket opens,
// refusals, messages with their opcode, pings, the close): volatile values
// (JWTs, UUIDs, random tokens, timestamps) are replaced by their shape, so two
// runs against equivalent servers print the same lines (keys sorted, as
// Python's json.dumps(sort_keys=True) prints them).
'use strict';

const http = require('http');
const crypto = require('crypto');
const WebSocket = requireWS();

function requireWS() {
  try { return require('ws'); } catch (e) { return require('/usr/share/nodejs/ws'); }
}

const USERNAME = 'alice';
const PASSWORD = 'correct horse battery staple';
const STEP_TIMEOUT = 5000;

const JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const JWT_IN_TEXT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OPAQUE = /^[A-Za-z0-9_-]{32,}$/;
const HEX = /^[0-9a-f]+$/; // digests are deterministic: kept
const TIME_KEYS = new Set(['ts', 'timestamp', 'server_time']);

function normalize(value, key) {
  if (Array.isArray(value)) return value.map((v) => normalize(v));
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const k of Object.keys(value)) out[k] = normalize(value[k], k);
    return out;
  }
  if (TIME_KEYS.has(key) && typeof value === 'number') return '<time>';
  if (typeof value === 'string') {
    if (JWT.test(value)) return '<jwt>';
    if (UUID.test(value)) return '<uuid>';
    if (OPAQUE.test(value) && !HEX.test(value)) return '<opaque>';
  }
  return value;
}

function textPayload(text) {
  try { return normalize(JSON.parse(text)); } catch (e) { return text; }
}

// JSON with sorted keys and Python's separators (", " and ": "), so both clients print alike.
function stable(value) {
  if (Array.isArray(value)) return `[${value.map(stable).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}: ${stable(value[k])}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

function tamper(token) {
  return String(token).split('.').slice(0, 2).join('.') + '.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
}

function transcript(scenario) {
  return (event, fields = {}) => console.log(stable({ scenario, event, ...fields }));
}

let base;

function post(emit, path, body) {
  const url = new URL(path, base);
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }, timeout: STEP_TIMEOUT }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString();
        let data;
        try { data = JSON.parse(raw); } catch (e) { data = raw; }
        emit('http', { request: `POST ${path}`, status: res.statusCode, body: normalize(data) });
        resolve(data && typeof data === 'object' ? data : {});
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => { emit('error', { message: `http: ${error.message}` }); resolve({}); });
    req.end(payload);
  });
}

const login = (emit, password = PASSWORD) => post(emit, '/auth/token', { username: USERNAME, password });

// Opens `target`, then runs `steps`: ['expect', n] receives n data messages,
// ['send', obj], ['send_fragments', obj, parts], ['send_binary', buf],
// ['close'] closes 1000 "bye", ['await_close'] waits for the server's close.
function websocket(emit, target, steps, { headers = {}, protocols = [], deflate = false } = {}) {
  return new Promise((resolve) => {
    const shown = target.replace(JWT_IN_TEXT, '<jwt>');
    const ws = new WebSocket(new URL(target, base).toString().replace(/^http/, 'ws'), protocols, {
      headers, perMessageDeflate: deflate, handshakeTimeout: STEP_TIMEOUT,
    });
    const inbox = [];
    let waiter = null;
    let closed = null;
    let finished = false;
    let opened = false;
    let timer = null;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      resolve();
    };
    ws.on('unexpected-response', (req, res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        emit('ws_refused', { target: shown, status: res.statusCode, body: textPayload(Buffer.concat(chunks).toString()) });
        req.destroy();
        finish();
      });
    });
    ws.on('error', (error) => {
      // Errors after the handshake end in 'close', which the steps wait for.
      if (ws.readyState !== WebSocket.OPEN && !opened) { emit('error', { message: error.message }); finish(); }
    });
    ws.on('ping', (data) => emit('ping', { data: data.toString() }));
    // Messages go into the transcript as they arrive, so pings keep their place among them.
    ws.on('message', (data, isBinary) => {
      if (isBinary) emit('recv', { opcode: 'binary', length: data.length, sha256: crypto.createHash('sha256').update(data).digest('hex') });
      else emit('recv', { opcode: 'text', data: textPayload(data.toString()) });
      inbox.push({ data, isBinary });
      if (waiter) waiter();
    });
    ws.on('close', (code, reason) => {
      closed = { code, reason: reason.toString() };
      if (waiter) waiter();
    });
    const nextMessage = () => new Promise((res, rej) => {
      const check = () => {
        if (inbox.length) { waiter = null; clearTimeout(timer); res(inbox.shift()); }
        else if (closed) { waiter = null; clearTimeout(timer); rej(new Error('closed')); }
      };
      waiter = check;
      timer = setTimeout(() => { waiter = null; rej(new Error('timeout')); }, STEP_TIMEOUT);
      check();
    });
    const awaitClose = () => new Promise((res, rej) => {
      const check = () => { if (closed) { waiter = null; clearTimeout(timer); res(); } };
      waiter = check;
      timer = setTimeout(() => { waiter = null; rej(new Error('timeout')); }, STEP_TIMEOUT);
      check();
    });
    ws.on('open', async () => {
      opened = true;
      // ws keeps the agreed extensions' names as a comma-separated string.
      const extensions = String(ws.extensions || '').split(',').map((e) => e.trim()).filter(Boolean);
      emit('ws_open', { target: shown, protocol: ws.protocol || '', extensions });
      let step;
      try {
        for (step of steps) {
          const kind = step[0];
          if (kind === 'expect') {
            for (let i = 0; i < step[1]; i++) {
              await nextMessage();
            }
          } else if (kind === 'send') {
            ws.send(JSON.stringify(step[1]));
          } else if (kind === 'send_fragments') {
            const text = Buffer.from(JSON.stringify(step[1]));
            const size = Math.ceil(text.length / step[2]);
            for (let i = 0; i < text.length; i += size) {
              ws.send(text.subarray(i, i + size), { binary: false, fin: i + size >= text.length, compress: false });
            }
          } else if (kind === 'send_binary') {
            ws.send(step[1], { binary: true });
          } else if (kind === 'close') {
            ws.close(1000, 'bye');
            await awaitClose();
          } else if (kind === 'await_close') {
            await awaitClose();
          }
        }
      } catch (error) {
        if (error.message === 'timeout') {
          emit('timeout', { waiting_for: step[0] });
          ws.close(1000, 'bye');
        }
      }
      try { await awaitClose(); } catch (e) { ws.terminate(); }
      if (!closed) { try { await awaitClose(); } catch (e) { closed = { code: 1006, reason: '' }; } }
      emit('close', { code: closed.code, reason: closed.reason });
      finish();
    });
  });
}

const bearer = (token) => ({ Authorization: `Bearer ${token}` });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const scenarios = {
  async login_bad(emit) { await login(emit, 'wrong password'); },
  async login_refresh(emit) {
    const first = await login(emit);
    const second = await post(emit, '/auth/refresh', { refresh_token: first.refresh_token });
    await post(emit, '/auth/refresh', { refresh_token: first.refresh_token });
    await post(emit, '/auth/refresh', { refresh_token: second.refresh_token });
  },
  async ws_header(emit) {
    const { access_token: token } = await login(emit);
    await websocket(emit, '/ws?stream=prices', [['expect', 1], ['send', { type: 'subscribe', channel: 'prices' }], ['expect', 1], ['close']], { headers: bearer(token) });
  },
  async ws_query(emit) {
    const { access_token: token } = await login(emit);
    await websocket(emit, `/ws?stream=quotes&token=${encodeURIComponent(token)}`, [['expect', 1], ['send', { type: 'subscribe', channel: 'quotes' }], ['expect', 1], ['close']]);
  },
  async ws_subprotocol(emit) {
    const { access_token: token } = await login(emit);
    await websocket(emit, '/ws?stream=trades', [['expect', 1], ['send', { type: 'subscribe', channel: 'trades' }], ['expect', 1], ['close']], { protocols: ['bearer', token] });
  },
  async ws_cookie(emit) {
    const { access_token: token } = await login(emit);
    await websocket(emit, '/ws?stream=news', [['expect', 1], ['send', { type: 'subscribe', channel: 'news' }], ['expect', 1], ['close']], { headers: { Cookie: `theme=dark; access_token=${token}` } });
  },
  async ws_first_message(emit) {
    const { access_token: token } = await login(emit);
    await websocket(emit, '/ws?stream=events', [['send', { type: 'auth', token }], ['expect', 1], ['send', { type: 'subscribe', channel: 'events' }], ['expect', 1], ['close']]);
  },
  async ws_first_message_bad(emit) {
    const { access_token: token } = await login(emit);
    await websocket(emit, '/ws?stream=events', [['send', { type: 'auth', token: tamper(token) }], ['expect', 1], ['await_close']]);
  },
  async ws_no_token(emit) {
    await websocket(emit, '/ws?stream=orders', [['send', { type: 'subscribe', channel: 'orders' }], ['expect', 1], ['await_close']]);
  },
  async ws_forbidden(emit) {
    const { access_token: token } = await login(emit);
    await websocket(emit, '/ws?stream=admin', [['expect', 1], ['send', { type: 'subscribe', channel: 'admin' }], ['expect', 1], ['await_close']], { headers: bearer(token) });
  },
  async ws_rejected(emit) {
    const { access_token: token } = await login(emit);
    await websocket(emit, '/ws?stream=prices', [['expect', 1], ['close']], { headers: bearer(tamper(token)) });
  },
  async ws_fragmented(emit) {
    const { access_token: token } = await login(emit);
    await websocket(emit, '/ws?stream=bulk', [
      ['expect', 1], ['send_fragments', { type: 'bulk_request', count: 40 }, 3], ['expect', 2],
      ['send_binary', Buffer.from([...Array(100).keys()])], ['expect', 1], ['close']], { headers: bearer(token) });
  },
  async ws_deflate(emit) {
    const { access_token: token } = await login(emit);
    await websocket(emit, '/ws?stream=compressed', [['expect', 1], ['send', { type: 'echo', text: 'compress me '.repeat(50) }], ['expect', 1], ['close']], { headers: bearer(token), deflate: true });
  },
  async ws_ping(emit) {
    const { access_token: token } = await login(emit);
    await websocket(emit, '/ws?stream=heartbeat', [['expect', 2], ['close']], { headers: bearer(token) });
  },
  async ws_expired(emit) {
    const { access_token: token } = await login(emit);
    await sleep(2500);
    await websocket(emit, '/ws?stream=prices', [['expect', 1], ['await_close']], { headers: bearer(token) });
  },
};

async function main() {
  const args = process.argv.slice(2);
  const chosen = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--base') base = args[++i];
    else if (args[i] === '--scenario') chosen.push(args[++i]);
    else if (args[i] === '--list') { console.log(Object.keys(scenarios).join('\n')); return; }
    else { console.error(`unknown argument ${args[i]}`); process.exit(2); }
  }
  for (const name of chosen.length ? chosen : Object.keys(scenarios)) {
    if (!scenarios[name]) { console.error(`unknown scenario ${name}`); process.exit(2); }
    const emit = transcript(name);
    try { await scenarios[name](emit); } catch (error) { emit('error', { message: String(error && error.message) }); }
  }
  process.exit(0);
}

main();
