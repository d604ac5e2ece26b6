import dgram from "node:dgram";
import type { AddressInfo } from "node:net";
import * as dnsPacket from "dns-packet";
import { MAX_QUERIES_PER_SOCKET, UdpSockets } from "../../src/verification/client/udp-sockets";

/** A UDP server on loopback that answers each TXT question with the name, in the order `reorder` decides. */
async function startServer(options: { reorder?: boolean; tamper?: (reply: dnsPacket.Packet) => dnsPacket.Packet | null } = {}) {
  const socket = dgram.createSocket("udp4");
  const sources = new Set<number>();
  let held: { bytes: Buffer; port: number }[] = [];
  socket.on("message", (bytes, from) => {
    sources.add(from.port);
    const query = dnsPacket.decode(bytes);
    let reply: dnsPacket.Packet | null = {
      type: "response",
      id: query.id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: query.questions,
      answers: [{ type: "TXT", name: query.questions![0].name, ttl: 60, data: [query.questions![0].name] }],
    };
    if (options.tamper) reply = options.tamper(reply);
    if (!reply) return;
    const out = { bytes: dnsPacket.encode(reply), port: from.port };
    if (!options.reorder) socket.send(out.bytes, out.port, "127.0.0.1");
    else {
      held.push(out);
      if (held.length === 4) {
        for (const h of held.reverse()) socket.send(h.bytes, h.port, "127.0.0.1");
        held = [];
      }
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const server = { address: "127.0.0.1", port: (socket.address() as AddressInfo).port, family: 4 as const };
  return { server, sources, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

const txtQuestion = (name: string): dnsPacket.Question => ({ type: "TXT", class: "IN", name });
const txtQuery = (name: string): [dnsPacket.Question, Buffer] => [txtQuestion(name), dnsPacket.encode({ type: "query", id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [txtQuestion(name)] })];
const answerOf = (outcome: dnsPacket.DecodedPacket | string) => (typeof outcome === "string" ? outcome : String((outcome.answers![0] as { data: Buffer[] }).data[0]));

describe("UDP sockets shared per server", () => {
  it("gives each of many concurrent queries its own answer, from one socket, whatever order the replies come in", async () => {
    const dns = await startServer({ reorder: true });
    const sockets = new UdpSockets();
    try {
      const names = Array.from({ length: 8 }, (_, i) => `n${i}.example.test`);
      const replies = await Promise.all(names.map((name) => sockets.exchange(dns.server, ...txtQuery(name)).reply));
      expect(replies.map(answerOf)).toEqual(names);
      expect(dns.sources.size).toBe(1);
    } finally {
      sockets.closeAll();
      await dns.close();
    }
  });

  it("moves to a new source port after its share of queries", async () => {
    const dns = await startServer();
    const sockets = new UdpSockets();
    try {
      for (let i = 0; i < MAX_QUERIES_PER_SOCKET * 2 + 1; i++) await sockets.exchange(dns.server, ...txtQuery(`n${i}.example.test`)).reply;
      expect(dns.sources.size).toBe(3);
    } finally {
      sockets.closeAll();
      await dns.close();
    }
  });

  it("ignores a reply that echoes another question, and a reply with another ID", async () => {
    const wrongQuestion = await startServer({ tamper: (reply) => ({ ...reply, questions: [{ type: "TXT", class: "IN", name: "forged.example.test" }] }) });
    const wrongId = await startServer({ tamper: (reply) => ({ ...reply, id: (reply.id! + 1) % 0x10000 }) });
    const sockets = new UdpSockets();
    try {
      for (const dns of [wrongQuestion, wrongId]) {
        const exchange = sockets.exchange(dns.server, ...txtQuery("victim.example.test"));
        const outcome = await Promise.race([exchange.reply, new Promise((resolve) => setTimeout(() => resolve("still waiting"), 300))]);
        expect(outcome).toBe("still waiting");
        exchange.close();
        expect(await exchange.reply).toBe("ECANCELED");
      }
    } finally {
      sockets.closeAll();
      await wrongQuestion.close();
      await wrongId.close();
    }
  });

  it("closes its sockets once they are retired and answered, or idle", async () => {
    const dns = await startServer();
    const sockets = new UdpSockets();
    try {
      for (let i = 0; i < MAX_QUERIES_PER_SOCKET; i++) await sockets.exchange(dns.server, ...txtQuery(`n${i}.example.test`)).reply;
      expect(sockets.openCount).toBe(0);
      await sockets.exchange(dns.server, ...txtQuery("again.example.test")).reply;
      expect(sockets.openCount).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      expect(sockets.openCount).toBe(0);
    } finally {
      sockets.closeAll();
      await dns.close();
    }
  });

  it("fails a query to a port nothing listens on at once, as the kernel reports it, rather than at the deadline", async () => {
    const probe = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => probe.bind(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const sockets = new UdpSockets();
    try {
      const started = performance.now();
      const outcome = await Promise.race([sockets.exchange({ address: "127.0.0.1", port, family: 4 }, ...txtQuery("n.example.test")).reply, new Promise((resolve) => setTimeout(() => resolve("still waiting"), 2_000))]);
      expect(outcome).toBe("ECONNREFUSED");
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      sockets.closeAll();
    }
  });
});
