/**
 * `dnsproof dev-dns`: a DNS server of your own for trying claim → publish → verify on one
 * machine. It runs BIND 9's named (Debian: bind9 and bind9-dnsutils) as the primary of one
 * zone on loopback, taking dynamic updates from nsupdate. The default port is 5300, not 5353,
 * which mDNS (Avahi, Bonjour) holds on most desktops.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export const DEV_DNS_DEFAULTS = { port: 5300, zone: "example.test", dir: "data/dev-dns" };

export interface DevDnsOptions {
  port: number;
  zone: string;
  /** Where named.conf, the zone file and named's journal go. */
  dir: string;
}

const INSTALL_ADVICE = "dev-dns runs BIND 9: install it with `apt-get install -y bind9 bind9-dnsutils` (Debian, Ubuntu) or your system's bind package.";

/** Serves the zone until SIGINT or SIGTERM; resolves to the exit code. */
export async function serveDevDns(options: DevDnsOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const named = findExecutable("named");
  if (!named) {
    err.write(`dnsproof: named was not found. ${INSTALL_ADVICE}\n`);
    return 1;
  }
  const dir = path.resolve(options.dir);
  fs.mkdirSync(dir, { recursive: true });
  writeConfiguration(dir, options);

  const args = ["-g", "-n", "1", "-c", path.join(dir, "named.conf")];
  if (process.getuid?.() === 0) args.push("-u", "root");
  const child = spawn(named, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const ready = new Promise<boolean>((resolve) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (/ running\n/.test(log)) resolve(!/not loaded due to errors|address in use/i.test(log));
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", () => resolve(false));
  });
  const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 0)));
  if (!(await ready)) {
    child.kill("SIGTERM");
    err.write(`dnsproof: named did not start on 127.0.0.1:${options.port} (is the port taken? choose another with --port):\n${log.split("\n").slice(-8).join("\n")}\n`);
    await exited;
    return 1;
  }
  const server = `127.0.0.1:${options.port}`;
  out.write(
    [
      `Serving the zone ${options.zone} on ${server} (BIND 9). Stop it with Ctrl-C.`,
      ``,
      `In another terminal, start dnsproof against it:`,
      `  DNS_SERVERS=${server} npm start`,
      ``,
      `Claim a name under the zone (e.g. app.${options.zone}), then publish its TXT record:`,
      `  nsupdate <<'EOF'`,
      `  server 127.0.0.1 ${options.port}`,
      `  zone ${options.zone}`,
      `  update add _dnsproof-verify.app.${options.zone}. 60 TXT "dnsproof-verification=<token>"`,
      `  send`,
      `  EOF`,
      ``,
    ].join("\n"),
  );
  const stop = () => child.kill("SIGTERM");
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await exited;
  return 0;
}

function writeConfiguration(dir: string, { port, zone }: DevDnsOptions): void {
  const conf = [
    "options {",
    `  directory "${dir}";`,
    `  pid-file "${dir}/named.pid";`,
    `  session-keyfile "${dir}/session.key";`,
    `  managed-keys-directory "${dir}";`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    "  listen-on-v6 { none; };",
    "  recursion no;",
    "  dnssec-validation no;",
    "  notify no;",
    "};",
    "controls { };",
    `zone "${zone}" { type primary; file "${dir}/${zone}.zone"; allow-update { 127.0.0.1; }; };`,
  ];
  fs.writeFileSync(path.join(dir, "named.conf"), `${conf.join("\n")}\n`);
  // A fresh zone each time: records published in an earlier session are not left behind.
  for (const stale of fs.readdirSync(dir)) if (stale.endsWith(".jnl")) fs.rmSync(path.join(dir, stale));
  const records = [`$ORIGIN ${zone}.`, "$TTL 60", `@ SOA ns1.${zone}. hostmaster.${zone}. 1 3600 600 86400 5`, `@ NS ns1.${zone}.`, "ns1 A 127.0.0.1"];
  fs.writeFileSync(path.join(dir, `${zone}.zone`), `${records.join("\n")}\n`);
}

function findExecutable(name: string): string | null {
  for (const dir of [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/usr/local/sbin"]) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}
