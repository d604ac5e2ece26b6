/**
 * A DNS server that never answers: queries arrive over UDP and TCP on 127.0.0.1 and are swallowed,
 * like a black-holed or overloaded resolver. For proving that verification still ends on time.
 *
 *     const silent = await startSilentDnsServer();
 *     // DNS_SERVERS=silent.server
 *     await silent.stop();
 */
import dgram from "node:dgram";
import net from "node:net";

export interface SilentDnsServer {
  port: number;
  /** "127.0.0.1:PORT" */
  server: string;
  /** UDP datagrams and TCP connections received so far: proof the queries did arrive. */
  received(): number;
  stop(): Promise<void>;
}

export async function startSilentDnsServer(): Promise<SilentDnsServer> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = dgram.createSocket("udp4");
    const port = await new Promise<number>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(0, "127.0.0.1", () => resolve(udp.address().port));
    });
    const connections = new Set<net.Socket>();
    const tcp = net.createServer((socket) => {
      connections.add(socket);
      socket.on("error", () => {});
      socket.once("close", () => connections.delete(socket));
    });
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once("error", () => resolve(false));
      tcp.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (!listening) {
      udp.close();
      continue;
    }
    let received = 0;
    udp.on("message", () => received++);
    tcp.on("connection", () => received++);
    return {
      port,
      server: `127.0.0.1:${port}`,
      received: () => received,
      stop: async () => {
        for (const socket of connections) socket.destroy();
        await Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
      },
    };
  }
  throw new Error("no loopback port free for both UDP and TCP");
}
