/** `dnsproof perspective`: starts the service on its settings and runs it until SIGINT or SIGTERM. */
import dns from "node:dns";
import { loadPerspectiveServiceConfig, type Env } from "../shared/config";
import { parseDnsServer } from "../shared/dns-servers";
import { startPerspective } from "./perspective-server";

export interface PerspectiveCommand {
  name: string;
  region: string;
  port: number;
  host: string;
}

export const PERSPECTIVE_DEFAULTS = { port: 8053, host: "0.0.0.0" };

/** A perspective's name and region appear in every check that asks it: short printable words. */
export const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export async function servePerspective(command: PerspectiveCommand, env: Env, out: NodeJS.WritableStream): Promise<number> {
  const config = loadPerspectiveServiceConfig(env);
  const resolvers = config.dns.resolvers.length > 0 ? config.dns.resolvers : dns.getServers().map((server) => parseDnsServer(server));
  const running = await startPerspective({
    ...command,
    secret: config.perspectives.serviceSecret!,
    resolvers,
    validating: config.dns.resolversValidate,
    timeoutMs: config.dns.timeoutMs,
    ratePerMinute: config.perspectives.ratePerMinute,
  });
  // One line a supervisor (or a test) can wait for.
  out.write(`dnsproof perspective ${command.name} (${command.region}) listening on ${running.url}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await running.close();
  return 0;
}
