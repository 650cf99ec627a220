// k6 load for issue 19's WebSocket benchmark (scripts/benchmarks/servers.sh):
// one iteration is the session of auth-session.json (make-auth-recording.py):
// a handshake with `Authorization: Bearer $TOKEN`, three client messages
// {"type":"msg","n":N}, each sent once the previous one's two answers
// ({"type":"ack","n":N}, {"type":"echo","n":N}) arrived, then close 1000.
//
// Hand-written rather than `authreplay export k6` of the recording: the
// exported script sends the recorded (redacted) token unless the secret is
// bound at export time, which needs the pseudonym key the recording was
// redacted with, and it parses every message as JSON for its checks; here the
// load generator shares two cores with the server under test, so it does as
// little as it can while still checking every byte it gets back.
//
// usage: k6 run --vus 64 --iterations N -e TARGET=http://127.0.0.1:PORT -e TOKEN=JWT ws-session.k6.js
import ws from 'k6/ws';
import { check } from 'k6';

const url = (__ENV.TARGET || 'http://127.0.0.1:8000').replace(/^http/, 'ws') + '/ws';
const params = { headers: { Authorization: `Bearer ${__ENV.TOKEN}` } };
const expected = [0, 1, 2].flatMap((n) => [`{"type":"ack","n":${n}}`, `{"type":"echo","n":${n}}`]);

export const options = {
    // One failed check fails the run (exit 99): a server that answered
    // something else did not do the work being measured.
    thresholds: { checks: ['rate==1.0'] },
    summaryTrendStats: ['avg', 'p(50)', 'p(99)', 'max'],
};

export default function () {
    let received = 0;
    let sent = 0;
    let same = true;
    const response = ws.connect(url, params, (socket) => {
        const next = () => { socket.send(`{"type":"msg","n":${sent}}`); sent += 1; };
        socket.on('open', next);
        socket.on('message', (data) => {
            same = same && data === expected[received];
            received += 1;
            if (received === expected.length) socket.close(1000);
            else if (received % 2 === 0) next();
        });
        // A server that stops answering ends the iteration (a failed check), not the run.
        socket.setTimeout(() => socket.close(1001), 10000);
    });
    check(response, { '101 Switching Protocols': (r) => r && r.status === 101 });
    check(received, { 'six server messages, as recorded': (n) => n === expected.length && same });
}
