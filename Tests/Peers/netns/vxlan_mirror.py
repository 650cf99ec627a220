#!/usr/bin/env python3
"""A login and a WebSocket session carrying the issued JWT, across a real
Linux VXLAN (two network namespaces joined by a veth underlay), captured at
once on the VXLAN device (plain inner frames) and on the underlay veth (the
VXLAN packets a mirror delivers). Used by VXLANNamespaceTests.

usage (as root): vxlan_mirror.py NS_CLIENT NS_SERVER SERVER_IP OUT_DIR
  NS_CLIENT holds `va` (underlay) and `vx` (VXLAN); the server listens on
  SERVER_IP:8000 in NS_SERVER. Writes OUT_DIR/plain.pcap (vx) and
  OUT_DIR/vxlan.pcap (va); exits 0 once both saw the connection's last packet.

Namespaces are entered per socket with setns(2) through ctypes: a socket
stays in the namespace it was created in.
"""
import base64, ctypes, hashlib, hmac, json, os, select, socket, struct, sys, threading, time

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)

def enter(ns):
    fd = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {ns}")
    finally:
        os.close(fd)

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def jwt():
    h = b64u(b'{"alg":"HS256","typ":"JWT"}')
    c = b64u(json.dumps({"sub": "alice", "iat": 1764050400, "exp": 1764054000}, separators=(",", ":")).encode())
    s = b64u(hmac.new(b"netns-test-secret-0123456789abcdefgh", f"{h}.{c}".encode(), hashlib.sha256).digest())
    return f"{h}.{c}.{s}"

def read_head(conn, buffer):
    while b"\r\n\r\n" not in buffer:
        chunk = conn.recv(4096)
        if not chunk:
            raise EOFError("peer closed inside a head")
        buffer += chunk
    head, rest = buffer.split(b"\r\n\r\n", 1)
    return head.decode(), rest

def frame(opcode, payload, mask=None):
    head = bytes([0x80 | opcode, (0x80 if mask else 0) | len(payload)])
    if not mask:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))

def serve(listener, token):
    conn, _ = listener.accept()
    with conn:
        head, rest = read_head(conn, b"")
        length = int([l.split(":")[1] for l in head.split("\r\n") if l.lower().startswith("content-length")][0])
        while len(rest) < length:
            rest += conn.recv(4096)
        rest = rest[length:]
        body = json.dumps({"access_token": token, "expires_in": 3600}).encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        head, rest = read_head(conn, rest)
        key = [l.split(":", 1)[1].strip() for l in head.split("\r\n") if l.lower().startswith("sec-websocket-key")][0]
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        conn.sendall(f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n".encode())
        conn.sendall(frame(1, b'{"type":"welcome","user":"alice"}'))
        conn.sendall(frame(8, struct.pack(">H", 1000) + b"bye"))
        while len(rest) < 2 + 4 + 5:  # the client's masked close: 2 + mask + code and "bye"
            chunk = conn.recv(4096)
            if not chunk:
                break
            rest += chunk
    listener.close()

def client(server_ip):
    conn = socket.create_connection((server_ip, 8000), timeout=10)
    body = b'{"username":"alice","password":"pw"}'
    conn.sendall(b"POST /auth/token HTTP/1.1\r\nHost: staging\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    head, rest = read_head(conn, b"")
    length = int([l.split(":")[1] for l in head.split("\r\n") if l.lower().startswith("content-length")][0])
    while len(rest) < length:
        rest += conn.recv(4096)
    token = json.loads(rest[:length])["access_token"]
    rest = rest[length:]
    conn.sendall(("GET /ws HTTP/1.1\r\nHost: staging\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                  f"Authorization: Bearer {token}\r\n\r\n").encode())
    head, rest = read_head(conn, rest)
    while True:  # until the server's close frame
        chunk = conn.recv(4096)
        if not chunk:
            break
        rest += chunk
        if b"\x88" in rest:
            break
    conn.sendall(frame(8, struct.pack(">H", 1000) + b"bye", mask=b"\x01\x02\x03\x04"))
    while conn.recv(4096):  # the server closes first
        pass
    conn.close()

def tcp_of(data, offset):
    """(source port, destination port, flags) of the IPv4/TCP at `offset`, or None."""
    if len(data) < offset + 40 or data[offset] >> 4 != 4 or data[offset + 9] != 6:
        return None
    t = offset + (data[offset] & 0x0F) * 4
    sport, dport = struct.unpack(">HH", data[t:t + 4])
    return sport, dport, data[t + 13]

def main():
    ns_client, ns_server, server_ip, out_dir = sys.argv[1:5]
    token = jwt()
    enter(ns_server)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((server_ip, 8000))
    listener.listen(1)
    enter(ns_client)
    # The inner IPv4 is 14 bytes into a vx frame, and 14 + 20 + 8 + 8 + 14 into a va one.
    captures = {"plain": ("vx", 14), "vxlan": ("va", 64)}
    sockets = {}
    for name, (device, _) in captures.items():
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        s.bind((device, 0))
        sockets[name] = s
    server = threading.Thread(target=serve, args=(listener, token))
    server.start()
    client(server_ip)
    server.join(10)
    packets = {name: [] for name in captures}
    done = set()
    client_fin = {name: False for name in captures}
    deadline = time.monotonic() + 10
    while len(done) < len(captures) and time.monotonic() < deadline:
        ready, _, _ = select.select([sockets[n] for n in captures if n not in done], [], [], max(0, deadline - time.monotonic()))
        for name in captures:
            if sockets[name] not in ready:
                continue
            data = sockets[name].recv(65535)
            now = time.time()
            packets[name].append((now, data))
            tcp = tcp_of(data, captures[name][1])
            if tcp is None:
                continue
            sport, dport, flags = tcp
            if dport == 8000 and flags & 0x01:
                client_fin[name] = True
            elif sport == 8000 and client_fin[name] and flags & 0x10:
                done.add(name)  # the server's ACK of the client's FIN: the connection's last packet
    for name, records in packets.items():
        with open(os.path.join(out_dir, f"{name}.pcap"), "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
            for t, data in records:
                f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(data), len(data)) + data)
    if len(done) < len(captures):
        sys.exit(f"captures did not see the connection end: {sorted(set(captures) - done)}")

if __name__ == "__main__":
    main()
