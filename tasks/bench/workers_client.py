"""The client of `deno task bench --sections workers`: K connections, each sending BYTES as fast as it can.

  workers_client.py PORT K BYTES

Connects K sockets to 127.0.0.1:PORT, then (timing from here) all send BYTES zero bytes in 1 MiB writes at
once, shut down their sending side and read the server's answer, one JSON line per connection:
{"worker": i, "bytes": n}. Prints one JSON line: the bytes sent, the seconds, and each connection's answer.
"""
import json
import socket
import sys
import threading
import time

WRITE_BYTES = 1 << 20


def send(sock: socket.socket, size: int, start: threading.Barrier, answers: list, i: int) -> None:
    chunk = memoryview(bytes(WRITE_BYTES))
    start.wait()
    try:
        left = size
        while left:
            n = min(left, WRITE_BYTES)
            sock.sendall(chunk[:n])
            left -= n
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while data := sock.recv(4096):
            reply += data
        answers[i] = json.loads(reply) if reply else {"error": "connection closed without an answer"}
    except (OSError, ValueError) as err:
        answers[i] = {"error": str(err)}
    finally:
        sock.close()


def main() -> None:
    port, k, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(k)]
    answers: list = [None] * k
    start = threading.Barrier(k + 1)
    threads = [threading.Thread(target=send, args=(s, size, start, answers, i)) for i, s in enumerate(socks)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    print(json.dumps({"bytes": k * size, "seconds": seconds, "answers": answers}))


if __name__ == "__main__":
    main()
