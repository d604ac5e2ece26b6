import "reflect-metadata";
import dns from "node:dns";
import { ConfigError, configWarnings, loadConfig, redactUrl } from "./shared/config";
import { worstCaseBatchMs } from "./scheduler/scheduler";

type App = Awaited<ReturnType<typeof import("./app").createApp>>;
type Config = ReturnType<typeof loadConfig>;

async function main(): Promise<void> {
  const config = configOrExit();
  // Loaded only once the settings are known to be good, so a refusal comes at once.
  const { createApp } = await import("./app");
  const app = await createApp(config);
  const url = await listenOrExit(app, config);
  for (const warning of configWarnings(config)) app.logger.warn(warning);
  announce(app, config, url);
  if (config.credentials.tls) app.logger.info({ url: `${await app.listenTls()}/graphql` }, "dnsproof is listening with mutual TLS");
  if (app.devToken) {
    // Printed plainly (not as JSON) so a person starting the server can copy it.
    process.stdout.write(
      `\n  GraphiQL explorer:  ${url}/graphql  (the token below is already filled in)\n` +
        `  Development token:  ${app.devToken}\n` +
        `  Use it as:          Authorization: Bearer <token>\n\n`,
    );
  }
  stopOnSignals(app, config);
}

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`dnsproof: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

async function listenOrExit(app: App, config: Config): Promise<string> {
  try {
    return await app.listen();
  } catch (error) {
    await app.close().catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      console.error(`dnsproof: port ${config.port} on ${config.host} is already in use; set PORT to a free port (or stop the other server).`);
      process.exit(1);
    }
    throw error;
  }
}

/** One line that says how this instance is set up, so a log reader never has to guess. */
function announce(app: App, config: Config, url: string): void {
  app.logger.info(
    {
      url: `${url}/graphql`,
      env: config.env,
      database: redactUrl(config.databaseUrl),
      migrationsApplied: app.migrationsApplied,
      dns: { mode: config.dns.mode, servers: config.dns.servers.length ? config.dns.servers : dns.getServers(), timeoutMs: config.dns.timeoutMs },
      redis: config.rateLimits.redisUrl ? redactUrl(config.rateLimits.redisUrl) : "off (rate limits counted in this process)",
      scheduler: config.scheduler.enabled
        ? { enabled: true, intervalSeconds: config.scheduler.intervalMs / 1000, batchSize: config.scheduler.batchSize, firstCheckSeconds: config.domains.pendingFirstCheckMs / 1000 }
        : { enabled: false },
    },
    "dnsproof is listening",
  );
}

function stopOnSignals(app: App, config: Config): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, "shutting down");
    // Time for the scheduler's batch in hand even when DNS is down, then for the rest of the shutdown.
    const batchMs = worstCaseBatchMs(config.scheduler.batchSize, config.dns.concurrency, config.dns.timeoutMs);
    const force = setTimeout(() => {
      app.logger.error("shutdown did not finish in time; exiting anyway");
      process.exit(1);
    }, batchMs + 15_000).unref();
    try {
      await app.close();
    } catch {
      // app.close() logged each failed step.
      process.exit(1);
    }
    clearTimeout(force);
    app.logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error) => {
  console.error("dnsproof failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
