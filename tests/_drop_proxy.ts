/**
 * A TCP proxy that cuts the link once, for tests of transfers that must survive a dropped connection.
 *
 * @module
 */

/** A running proxy; `close()` stops it and waits for its connections. */
export interface DropProxy {
  /** `grpc://127.0.0.1:<port>` of the proxy. */
  url: string;
  /** Bytes clients sent so far; the count after which to cut (once); whether it did. */
  state: { sent: number; cutAfter: number; cut: boolean };
  close(): Promise<void>;
}

/**
 * A TCP proxy to `port` on 127.0.0.1 that counts the bytes clients send and, once, drops every connection
 * as soon as `state.cutAfter` bytes went through (later connections pass): a link cut mid-transfer.
 */
export function dropProxy(port: number): DropProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const tasks: Promise<void>[] = [];
  const state = { sent: 0, cutAfter: Infinity, cut: false };
  const closeAll = () => {
    for (const c of conns) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    conns.clear();
  };
  const pipe = async (from: Deno.Conn, to: Deno.Conn, count: boolean) => {
    const buf = new Uint8Array(16_384);
    try {
      for (let n = await from.read(buf); n !== null; n = await from.read(buf)) {
        if (count) {
          state.sent += n;
          if (!state.cut && state.sent > state.cutAfter) {
            state.cut = true;
            return closeAll();
          }
        }
        for (let off = 0; off < n;) off += await to.write(buf.subarray(off, n));
      }
    } catch { /* a side closed */ }
    for (const c of [from, to]) {
      if (conns.delete(c)) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
    }
  };
  const accepting = (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.add(client).add(server);
      tasks.push(pipe(client, server, true), pipe(server, client, false));
    }
  })();
  return {
    url: `grpc://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    state,
    async close() {
      listener.close();
      closeAll();
      await accepting.catch(() => {});
      await Promise.all(tasks);
    },
  };
}
