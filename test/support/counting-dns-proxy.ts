/**
 * Counts the DNS queries a test causes: UDP on one port at many loopback addresses (127.0.0.0/8
 * is all loopback on Linux), each query relayed to a real server (bind9) and its reply relayed back.
 * Lets a zone name many "different" nameservers that all end at one bind9, while every query
 * sent to any of them is counted.
 *
 *     const proxy = await startCountingDnsProxy(["127.0.0.1", "127.0.1.1"], bind.server);
 *     // authoritativePort: proxy.port; DNS_SERVERS: `127.0.0.1:${proxy.port}`
 *     proxy.count(); proxy.addressesAsked();
 */
import dgram from "node:dgram";

export interface CountingDnsProxy {
  port: number;
  /** Queries received so far, at every address. */
  count(): number;
  /** The addresses that received at least one query. */
  addressesAsked(): string[];
  reset(): void;
  stop(): Promise<void>;
}

export async function startCountingDnsProxy(addresses: string[], upstream: string): Promise<CountingDnsProxy> {
  const [upstreamAddress, upstreamPort] = upstream.split(":");
  for (let attempt = 0; attempt < 20; attempt++) {
    const sockets: dgram.Socket[] = [];
    try {
      let port = 0;
      for (const address of addresses) {
        const socket = dgram.createSocket("udp4");
        sockets.push(socket);
        await new Promise<void>((resolve, reject) => {
          socket.once("error", reject);
          socket.bind(port, address, () => resolve());
        });
        port = socket.address().port;
      }
      const counts = new Map<string, number>();
      for (const socket of sockets) {
        const local = socket.address().address;
        socket.on("message", (query, from) => {
          counts.set(local, (counts.get(local) ?? 0) + 1);
          const relay = dgram.createSocket("udp4");
          let open = true;
          const close = () => {
            if (!open) return;
            open = false;
            clearTimeout(timer);
            relay.close();
          };
          // No answer within 3 s: the client has given up long before.
          const timer = setTimeout(close, 3000);
          timer.unref();
          relay.on("error", close);
          relay.once("message", (reply) => {
            try {
              socket.send(reply, from.port, from.address, () => {});
            } catch {
              // The proxy was stopped meanwhile.
            }
            close();
          });
          relay.send(query, Number(upstreamPort), upstreamAddress, (error) => {
            if (error) close();
          });
        });
      }
      return {
        port,
        count: () => [...counts.values()].reduce((a, b) => a + b, 0),
        addressesAsked: () => [...counts.keys()],
        reset: () => counts.clear(),
        stop: async () => {
          await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
        },
      };
    } catch {
      // Another process took the port at one of the addresses: start over with a new one.
      for (const socket of sockets) socket.close();
    }
  }
  throw new Error("no free UDP port at every requested loopback address");
}
