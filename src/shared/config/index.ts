/**
 * Everything dnsproof reads from its environment. Each section is a table of declarations
 * (variable, parser with its bounds, default, one line of documentation) that builds its slice
 * of Config; settings that must come together are checked by the rules; every problem is
 * collected, so start-up fails once, naming them all. README.md's configuration tables are
 * generated from the same declarations (`npm run config:docs`).
 */
import { adminSection } from "./admin";
import { authSection } from "./auth";
import { ConfigError } from "./config-error";
import { credentialsSection } from "./credentials";
import { databaseSection } from "./database";
import { dnsSection } from "./dns";
import { environmentOf, httpSection } from "./http";
import { limitsSection } from "./limits";
import { perspectivesSection } from "./perspectives";
import { redisSection } from "./redis";
import { resilienceSection } from "./resilience";
import { rules } from "./rules";
import { schedulerSection } from "./scheduler";
import { Problems, readRaw, readSection, type Env, type Section } from "./setting";
import type { Config } from "./types";
import { webhooksSection } from "./webhooks";

export type { AdminOidcConfig, Config, CredentialsConfig } from "./types";
export type { Env } from "./setting";
export { ConfigError } from "./config-error";
export { configWarnings } from "./warnings";
export { redactUrl } from "./parsers";
export { DEFAULT_CNAME_ZONE, maxNameserversBounds, maxNameserversSetting } from "./dns";

/** By the name assemble() takes each slice under, in the order the README lists them. */
const sectionsByName = {
  http: httpSection,
  database: databaseSection,
  auth: authSection,
  admin: adminSection,
  dns: dnsSection,
  perspectives: perspectivesSection,
  scheduler: schedulerSection,
  webhooks: webhooksSection,
  credentials: credentialsSection,
  redis: redisSection,
  limits: limitsSection,
  resilience: resilienceSection,
};

export const sections: Section[] = Object.values(sectionsByName);

export function loadConfig(env: Env = process.env): Config {
  const problems = new Problems();
  const context = { env: environmentOf(env) };
  const slices = Object.fromEntries(Object.entries(sectionsByName).map(([name, section]) => [name, readSection(section as Section, env, context, problems)]));
  const config = assemble(slices as Slices<typeof sectionsByName>);
  for (const rule of rules) {
    if (rule.reads.some((key) => problems.wasRefused(key))) continue;
    problems.add(rule.check({ config, raw: (key) => readRaw(env, key) }));
  }
  if (problems.messages.length > 0) throw new ConfigError(problems.messages);
  return config;
}

type Slices<S> = { [K in keyof S]: S[K] extends Section<any, infer R> ? R : never };

/** The sections' slices as one Config; TypeScript checks that together they leave no field out. */
function assemble(slices: Slices<typeof sectionsByName>): Config {
  const { http, database, auth, admin, dns, perspectives, scheduler, webhooks, credentials, redis, limits, resilience } = slices;
  const { clientCertHeader } = credentials.credentials;
  return {
    ...http,
    ...database,
    ...dns,
    ...perspectives,
    ...webhooks,
    ...resilience,
    apiKeys: limits.apiKeys,
    graphql: limits.graphql,
    subscriptions: limits.subscriptions,
    scheduler: scheduler.scheduler,
    auth: { ...auth.auth, ...admin.auth },
    domains: { ...limits.domains, ...scheduler.domains },
    rateLimits: { ...limits.rateLimits, ...redis.rateLimits },
    credentials: {
      ...credentials.credentials,
      // Only a listed proxy's header is read; the rules refuse TRUST_PROXY in any other form.
      clientCertProxies: clientCertHeader && typeof http.trustProxy === "string" ? http.trustProxy.split(",").map((entry) => entry.trim()) : undefined,
    },
  };
}

/**
 * What `dnsproof perspective` reads: its resolvers and its secret, nothing of the database or the
 * API, so a perspective host needs none of their settings.
 */
export function loadPerspectiveServiceConfig(env: Env = process.env): Pick<Config, "env" | "dns" | "perspectives"> {
  const problems = new Problems();
  const context = { env: environmentOf(env) };
  const { dns } = readSection(dnsSection, env, context, problems);
  const { perspectives } = readSection(perspectivesSection, env, context, problems);
  if (!perspectives.serviceSecret) problems.add(["PERSPECTIVE_SECRET must be set: the primary presents it, and every answer is signed with it"]);
  else if (perspectives.serviceSecret.length < (context.env === "production" ? 32 : 16)) {
    problems.add([`PERSPECTIVE_SECRET must be at least ${context.env === "production" ? 32 : 16} characters`]);
  }
  if (problems.messages.length > 0) throw new ConfigError(problems.messages);
  return { env: context.env, dns, perspectives };
}
