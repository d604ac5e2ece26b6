import pino from "pino";
import { loadConfig } from "../../src/shared/config";
import { App, AppOverrides, createApp } from "../../src/app";
import { mintToken } from "../../src/auth/dev-credentials";
import { DatabaseFlavor, ScratchDatabase, createScratchDatabase } from "./databases";

export const TEST_JWT_SECRET = "test-secret-0123456789abcdef0123456789abcdef";

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[] };
}

export interface TestApp {
  app: App;
  url: string;
  database: ScratchDatabase;
  /** A JWT for `sub` (account = sub unless given), signed with the test secret. */
  token(sub: string, claims?: { account_id?: string; email?: string } & Record<string, unknown>): Promise<string>;
  /** POSTs one operation; `token: null` sends no credentials. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, options?: { token?: string | null; headers?: Record<string, string> }): Promise<GraphQLResponse<T>>;
  /** POSTs `body` as is (a batch, a raw string); the answer's body parsed as JSON. */
  post(body: unknown, options?: { token?: string | null; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any }>;
  close(): Promise<void>;
}

/** The real server on a scratch database, listening on loopback; what every integration test talks to. */
export async function startTestApp(
  options: { db?: DatabaseFlavor; env?: Record<string, string>; overrides?: AppOverrides; database?: ScratchDatabase } = {},
): Promise<TestApp> {
  const database = options.database ?? (await createScratchDatabase(options.db ?? "sqlite"));
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    JWT_SECRET: TEST_JWT_SECRET,
    DNS_SERVERS: "127.0.0.1:9",
    DNS_TIMEOUT_MS: "500",
    LOG_LEVEL: "silent",
    // Tests that want the scheduler turn it on, or drive app.scheduler.runOnce() on a manual clock.
    SCHEDULER_ENABLED: "false",
    // Rate limits are proven in their own tests; elsewhere they would only stand between a test and what it checks.
    RATE_LIMIT_MUTATIONS_PER_MINUTE: "100000",
    RATE_LIMIT_VERIFY_PER_MINUTE: "100000",
    // Attack suites send many bad credentials on purpose; the limit on failures has its own test.
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: "100000",
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: "100000",
    ...options.env,
  });
  const app = await createApp(config, { logger: pino({ level: "silent" }), ...options.overrides });
  const url = await app.listen(0, "127.0.0.1");
  const defaultToken = await mintToken(config.auth.jwtSecret!, { sub: "user-a", email: "a@example.com" });
  return {
    app,
    url,
    database,
    token: (sub, claims = {}) => mintToken(config.auth.jwtSecret!, { sub, ...claims }),
    async gql<T = any>(query: string, variables: Record<string, unknown> = {}, { token = defaultToken, headers = {} }: { token?: string | null; headers?: Record<string, string> } = {}): Promise<GraphQLResponse<T>> {
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse<T>["body"] };
    },
    async post(body: unknown, { token = defaultToken, headers = {} }: { token?: string | null; headers?: Record<string, string> } = {}) {
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: JSON.parse(text) };
    },
    async close() {
      await app.close();
      if (!options.database) await database.drop();
    },
  };
}

export const DOMAIN_FIELDS = `
  id name unicodeName status verified tokenExpiresAt verifiedAt lastCheckedAt createdAt updatedAt instructions
  txtRecord { type host relativeHost value }
  cnameRecord { type host relativeHost value }
  lastCheck { outcome method message foundValues hints checkedAt servers { server answer values durationMs } }
`;
