/// The part of every exported k6 script that does not depend on the
/// recordings: it walks the generated `UNITS` data. Kept in one string so the
/// script is one self-contained file a user can read and edit.
///
/// Token chaining is `Replay.TokenChain`'s rule run inside k6: a value a
/// recorded response issued (its location: `body:$.path` or
/// `set-cookie:NAME`) is replaced, in every later request and client message
/// of the same unit, by what the target issued at the same location,
/// longest recorded value first. WebSocket messages are sent when as many
/// server messages have arrived as had arrived when the client sent them
/// (`Replay.WebSocketStep.script`).
enum K6Runtime {
    static let text = #"""
function secretValue(secret) {
  const value = __ENV[secret.env];
  if (value === undefined) {
    fail(`${secret.env} is not set: run k6 with -e ${secret.env}=... (bound with --secret ${secret.rule}=env:${secret.env})`);
  }
  return value;
}

// Puts the secrets bound at export time (--secret RULE=env:NAME) in place, encoded for where they stand.
function fill(text, kind) {
  if (text === null || text === undefined) return text;
  for (const secret of SECRETS) {
    if (!text.includes(secret.marker)) continue;
    let value = secretValue(secret);
    if (kind === 'json') value = JSON.stringify(value).slice(1, -1);
    else if (kind === 'form' || kind === 'query') value = encodeURIComponent(value);
    text = text.split(secret.marker).join(value);
  }
  return text;
}

// Recorded issued values → live ones, longest first (a value containing another is replaced whole).
function chained(text, chain) {
  if (text === null || text === undefined) return text;
  const recorded = Object.keys(chain).sort((a, b) => b.length - a.length || (a < b ? 1 : -1));
  for (const value of recorded) text = text.split(value).join(chain[value]);
  return text;
}

function prepare(text, kind, chain) {
  return chained(fill(text, kind), chain);
}

function headersOf(step, chain) {
  const headers = {};
  for (const [name, value] of step.headers) {
    const text = prepare(value, 'header', chain);
    headers[name] = headers[name] === undefined ? text : `${headers[name]}, ${text}`;
  }
  return headers;
}

function jsonOf(text) {
  try { return JSON.parse(text); } catch (e) { return undefined; }
}

// `$.a.b[0]` in a JSON value.
function atPath(value, path) {
  const parts = path.replace(/^\$/, '').match(/\.[^.[]+|\[\d+\]/g) || [];
  for (const part of parts) {
    if (value === null || typeof value !== 'object') return undefined;
    value = part.startsWith('[') ? value[Number(part.slice(1, -1))] : value[part.slice(1)];
  }
  return value;
}

function issuedAt(res, location) {
  if (location.startsWith('set-cookie:')) {
    const found = (res.cookies || {})[location.slice('set-cookie:'.length)];
    return found && found.length > 0 ? found[0].value : undefined;
  }
  if (location.startsWith('body:')) {
    const value = atPath(jsonOf(res.body), location.slice('body:'.length));
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

function learn(step, res, chain) {
  for (const credential of step.learn) {
    const live = issuedAt(res, credential.location);
    if (live !== undefined && live !== '') chain[credential.recorded] = live;
  }
}

// The recorded semantic members (type, error_code, …) must come back equal.
function semanticChecks(label, expected, actualText) {
  const checks = {};
  const actual = jsonOf(actualText);
  for (const [name, value] of Object.entries(expected)) {
    checks[`${label}: ${name} ${JSON.stringify(value)}`] = () => actual !== null && typeof actual === 'object' && actual[name] === value;
  }
  return checks;
}

function httpStep(label, step, chain) {
  const url = TARGET + prepare(step.target, 'query', chain);
  let body = null;
  if (step.bodyBase64 !== undefined) body = encoding.b64decode(step.bodyBase64, 'std');
  else if (step.body !== undefined) body = prepare(step.body, step.bodyKind, chain);
  const res = http.request(step.method, url, body, {
    headers: headersOf(step, chain), redirects: 0, timeout: `${STEP_TIMEOUT_SECONDS}s`,
    jar: new http.CookieJar(),  // cookies as recorded (and chained), not k6's own jar
    tags: { name: label },
  });
  const checks = {};
  if (step.status !== undefined) checks[`${label}: status ${step.status}`] = (r) => r.status === step.status;
  Object.assign(checks, semanticChecks(label, step.semantic, res.body));
  check(res, checks);
  learn(step, res, chain);
  return res.status !== 0;
}

function webSocketStep(label, step, chain) {
  const url = WS_TARGET + prepare(step.target, 'query', chain);
  const received = [];  // server data messages, in order
  let serverMessages = 0;  // data and close frames, what send triggers count
  let next = 0;  // the next script item to send
  let closedByClient = false;
  let closeCode = null;
  function session(socket) {
    function flush() {
      while (next < step.sends.length && step.sends[next].after <= serverMessages) {
        const item = step.sends[next++];
        if (item.close !== undefined) {
          if (closeCode === null) { closedByClient = true; socket.close(item.close); }
          return;
        }
        if (item.base64 !== undefined) socket.sendBinary(encoding.b64decode(item.base64, 'std'));
        else socket.send(prepare(item.text, item.kind, chain));
      }
      // Nothing left to send and no close recorded from either side: end it as the capture did.
      if (next >= step.sends.length && step.close === null && received.length >= step.expect.length && closeCode === null) {
        closedByClient = true;
        socket.close(1000);
      }
    }
    socket.on('open', flush);
    socket.on('message', (data) => { received.push({ text: data }); serverMessages++; flush(); });
    socket.on('binaryMessage', () => { received.push({ binary: true }); serverMessages++; flush(); });
    socket.on('close', (code) => { if (closeCode === null) closeCode = code; });
    socket.setTimeout(() => { if (closeCode === null) { closedByClient = true; socket.close(1001); } }, STEP_TIMEOUT_SECONDS * 1000);
  }
  let res;
  try {
    res = ws.connect(url, { headers: headersOf(step, chain), tags: { name: label } }, session);
  } catch (e) {
    // No connection (refused, reset, TLS): a failed check, so a run cannot pass without the server.
    const failed = {};
    failed[`${label}: connects`] = () => false;
    check(null, failed);
    console.error(`${label}: ${e}`);
    return false;
  }
  const checks = {};
  checks[`${label}: status ${step.status}`] = (r) => r.status === step.status;
  check(res, checks);
  if (step.status !== 101) {
    check(res, semanticChecks(label, step.semantic, res.body));
    return true;
  }
  step.expect.forEach((expected, i) => {
    const got = received[i];
    const messageChecks = {};
    messageChecks[`${label}: server message ${i + 1} arrives`] = () => got !== undefined;
    Object.assign(messageChecks, semanticChecks(`${label}: server message ${i + 1}`, expected, got && got.text));
    check(null, messageChecks);
  });
  if (step.close !== null) {
    const closeChecks = {};
    const who = step.close.by === 'client' ? 'client' : 'server';
    closeChecks[`${label}: closed by the ${who}` + (step.close.code !== null ? ` with ${step.close.code}` : '')] = () =>
      (step.close.by === 'client') === closedByClient && (step.close.code === null || closedByClient || closeCode === step.close.code);
    check(null, closeChecks);
  }
  return true;
}

// One iteration replays one unit: its sessions in recorded order, one token chain.
export default function () {
  const unit = UNITS[exec.scenario.iterationInTest % UNITS.length];
  const chain = {};
  for (const session of unit.sessions) {
    for (const [i, step] of session.steps.entries()) {
      const label = `${session.name} #${i + 1} ${step.method} ${step.path}`;
      const ok = step.kind === 'ws' ? webSocketStep(label, step, chain) : httpStep(label, step, chain);
      if (!ok) break;  // no connection: the rest of the session cannot follow
    }
  }
}
"""#
}
