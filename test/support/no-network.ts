/**
 * Around every unit test file (src/**\/*.test.ts): a unit test that tries to reach a database,
 * Redis, a DNS server or a browser fails at once, so `npm run test:unit` proves it needs none
 * of them instead of passing only on machines that happen to run them. Core modules are shared
 * by every test file a Jest worker runs, so the guard is put back after each file.
 */
import net from "node:net";
import dgram from "node:dgram";

function refuse(what: string): never {
  throw new Error(`unit tests must not use the network (${what}); move this test under test/ or give it a fake`);
}

const originalConnect = net.Socket.prototype.connect;
const originalSend = dgram.Socket.prototype.send;

beforeAll(() => {
  net.Socket.prototype.connect = function connect() {
    refuse("TCP connect");
  } as typeof net.Socket.prototype.connect;
  dgram.Socket.prototype.send = function send() {
    refuse("UDP send");
  } as typeof dgram.Socket.prototype.send;
});

afterAll(() => {
  net.Socket.prototype.connect = originalConnect;
  dgram.Socket.prototype.send = originalSend;
});
