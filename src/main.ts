import "reflect-metadata";
import { ConfigError, loadConfig } from "./config";
import { createApp } from "./app";
import { worstCaseBatchMs } from "./scheduler/scheduler";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`dnsproof: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  const url = await app.listen();
  app.logger.info({ url: `${url}/graphql`, database: config.databaseUrl.replace(/\/\/[^@]*@/, "//***@") }, "dnsproof is listening");
  if (config.credentials.tls) app.logger.info({ url: `${await app.listenTls()}/graphql` }, "dnsproof is listening with mutual TLS");
  if (app.devToken) {
    // Printed plainly (not as JSON) so a person starting the server can copy it.
    process.stdout.write(
      `\n  GraphiQL explorer:  ${url}/graphql  (the token below is already filled in)\n` +
        `  Development token:  ${app.devToken}\n` +
        `  Use it as:          Authorization: Bearer <token>\n\n`,
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, "shutting down");
    // Time for the scheduler's batch in hand even when DNS is down, then for the rest of the shutdown.
    const batchMs = worstCaseBatchMs(config.scheduler.batchSize, config.dns.concurrency, config.dns.timeoutMs);
    const force = setTimeout(() => process.exit(1), batchMs + 15_000).unref();
    await app.close();
    clearTimeout(force);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error) => {
  console.error("dnsproof failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
