/** The README's "Trying the whole cycle on your machine", step by step, on a free port instead of 5300. */
import { spawn, spawnSync, ChildProcessWithoutNullStreams } from "node:child_process";
import dgram from "node:dgram";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TestApp, startTestApp } from "../support/test-app";

const ROOT = path.resolve(__dirname, "../..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

/** The shell blocks of the README's local-cycle section, in order. */
function steps(): string[] {
  const section = README.split("### Trying the whole cycle on your machine")[1].split(/\n## /)[0];
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1].replace(/^ {3}/gm, "").trim());
}

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe("npx dnsproof dev-dns and the README's steps", () => {
  let dir: string;
  let port: number;
  let devDns: ChildProcessWithoutNullStreams;
  let output = "";
  let t: TestApp;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-dev-dns-"));
    port = await freeUdpPort();
    const [serve] = steps();
    expect(serve).toBe("npx dnsproof dev-dns");
    // The README's command, on a port of this test's own; bin.js is what npx runs.
    devDns = spawn(process.execPath, [path.join(ROOT, "src/cli/bin.js"), "dev-dns", "--port", String(port), "--dir", dir], { cwd: ROOT, env: { ...process.env, NODE_ENV: "development" } });
    devDns.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    devDns.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 300 && !output.includes("Serving the zone"); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(output).toContain(`Serving the zone example.test on 127.0.0.1:${port} (BIND 9)`);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    if (devDns && devDns.exitCode === null) {
      const exited = new Promise((resolve) => devDns.once("exit", resolve));
      devDns.kill("SIGTERM");
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("serves example.test so that a claim verifies after the README's nsupdate step", async () => {
    const [, start, publish] = steps();
    expect(start).toBe("DNS_SERVERS=127.0.0.1:5300 npm start");
    t = await startTestApp({ env: { DNS_SERVERS: `127.0.0.1:${port}`, DNS_TIMEOUT_MS: "2000" } });

    const claim = await t.gql(`mutation { claimDomain(input: { name: "app.example.test" }) { domain { id txtRecord { value } } } }`);
    const { id, txtRecord } = claim.body.data.claimDomain.domain;
    const token = txtRecord.value.replace("dnsproof-verification=", "");

    const script = publish.replaceAll("5300", String(port)).replace("<token>", token);
    const published = spawnSync("bash", ["-c", script], { encoding: "utf8" });
    expect(published).toMatchObject({ status: 0, stderr: "" });

    const verified = await t.gql(`mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified check { outcome } } }`, { id });
    expect(verified.body.data.verifyDomain).toEqual({ verified: true, check: { outcome: "VERIFIED" } });
  }, 60_000);

  it("prints the same steps it is documented with", () => {
    expect(output).toContain(`DNS_SERVERS=127.0.0.1:${port} npm start`);
    expect(output).toContain(`update add _dnsproof-verify.app.example.test. 60 TXT "dnsproof-verification=<token>"`);
  });

  it("stops named with it", async () => {
    const pid = Number(fs.readFileSync(path.join(dir, "named.pid"), "utf8"));
    const exited = new Promise<number | null>((resolve) => devDns.once("exit", resolve));
    devDns.kill("SIGTERM");
    expect(await exited).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(() => process.kill(pid, 0)).toThrow();
  }, 30_000);
});
