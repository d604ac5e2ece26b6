/**
 * The mixed load of the chaos suite and the soak: claims, their TXT records published in BIND 9,
 * verifications, reads, one webhook endpoint and one live subscription per account. Every
 * request is recorded (instance, start, latency, HTTP status, error code), so a fault's window
 * can be read off afterwards.
 */
import { mintToken } from "../../src/auth/dev-credentials";
import { connectSubscriber } from "../support/subscriptions";
import { TEST_JWT_SECRET } from "../support/test-app";
import { ZONE, type Instance, type World } from "./world";

const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id name txtRecord { host value } } userErrors { code } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified check { outcome } } }`;
const REMOVE = `mutation($id: ID!) { removeDomain(input: { id: $id }) { removedDomainId userErrors { code } } }`;
const READ = `{ domains(first: 10) { totalCount nodes { name status } } }`;
const CREATE_WEBHOOK = `mutation($url: String!) { createWebhookEndpoint(input: { url: $url, actions: [DOMAIN_CLAIMED] }) { secret userErrors { code } } }`;
const SUBSCRIBE = `subscription { auditEntryAdded { id action domainName } }`;

/** Past this a client gives up: long enough that only a hang reaches it. */
const CLIENT_TIMEOUT_MS = 30_000;

export interface RequestRecord {
  op: "claim" | "verify" | "read" | "remove";
  instance: string;
  /** The instance was under a fault when the request was sent: what a load balancer would have routed away. */
  toFaulted: boolean;
  startedAt: number;
  ms: number;
  status: number;
  /** The first error's code; null for an answer without errors. */
  code: string | null;
}

export interface Acknowledged {
  name: string;
  id: string;
  account: number;
  txt: { host: string; value: string };
}

export interface Load {
  records: RequestRecord[];
  acknowledged: Acknowledged[];
  /** Ids of domains a verifyDomain answered verified: true for. */
  verified: Set<string>;
  /** Audit entries the subscriptions received, by id. */
  streamed: Set<string>;
  /** Resolves once the workers have stopped. */
  stop(): Promise<void>;
  /** Reopens subscriptions whose connection closed (an instance restarted). */
  resubscribe(): void;
}

export interface LoadOptions {
  accounts: number;
  /** Pause between one worker's iterations. */
  thinkMs: number;
  /**
   * Each account holds at most this many claims: before a new claim the oldest is removed (and
   * its TXT record deleted), so the data the reads count and the scheduler re-checks stays the
   * same size. Unset: claims pile up.
   */
  keepClaims?: number;
}

export async function startLoad(world: World, options: LoadOptions): Promise<Load> {
  const tokens = await Promise.all(Array.from({ length: options.accounts }, (_, i) => mintToken(TEST_JWT_SECRET, { sub: `chaos-${i}` })));
  const load: Load & { stopping: boolean } = {
    records: [],
    acknowledged: [],
    verified: new Set(),
    streamed: new Set(),
    stopping: false,
    stop: async () => undefined,
    resubscribe: () => undefined,
  };
  const gql = request(world, load);
  for (const [i, token] of tokens.entries()) {
    const created = await gql("claim", world.instances[0], token, CREATE_WEBHOOK, { url: world.receiver.url });
    const secret = created?.data?.createWebhookEndpoint?.secret;
    if (secret) world.receiver.secrets.push(secret);
    else throw new Error(`account ${i}: no webhook endpoint: ${JSON.stringify(created)}`);
  }
  const subscriptions = tokens.map((token, i) => ({ token, instance: world.instances[i % world.instances.length], client: null as ReturnType<typeof connectSubscriber> | null }));
  const open = (entry: (typeof subscriptions)[number]) => {
    const connection = connectSubscriber(entry.instance.url, `Bearer ${entry.token}`);
    const subscriber = connection.subscribe(SUBSCRIBE);
    entry.client = connection;
    const seen = subscriber.received;
    const drain = setInterval(() => {
      while (seen.length > 0) load.streamed.add(seen.shift().auditEntryAdded.id);
    }, 200);
    drain.unref();
    void connection.closed.then(() => clearInterval(drain));
  };
  subscriptions.forEach(open);
  load.resubscribe = () => {
    for (const entry of subscriptions) {
      void entry.client?.client.dispose();
      open(entry);
    }
  };
  const workers = tokens.map((token, account) => worker(world, load, gql, token, account, options));
  load.stop = async () => {
    load.stopping = true;
    await Promise.all(workers);
    for (const entry of subscriptions) await entry.client?.client.dispose();
  };
  return load;
}

type Gql = ReturnType<typeof request>;

/** One account's loop: (remove the oldest,) claim, publish, verify, read, over the instances in turn. */
async function worker(world: World, load: Load & { stopping: boolean }, gql: Gql, token: string, account: number, options: LoadOptions): Promise<void> {
  const held: (Acknowledged & { published: boolean })[] = [];
  for (let n = 0; !load.stopping; n++) {
    const instance = world.instances[n % world.instances.length];
    const keep = options.keepClaims;
    if (keep !== undefined && held.length >= keep) await removeOldest(world, gql, instance, token, held);
    // A fresh name each time even at a constant size: state kept per name would show as growth.
    const name = `a${account}-${n}-${Date.now().toString(36)}.${ZONE}`;
    const claimed = await gql("claim", instance, token, CLAIM, { name });
    const domain = claimed?.data?.claimDomain?.domain;
    if (domain) {
      const acknowledged = { name, id: domain.id, account, txt: domain.txtRecord };
      load.acknowledged.push(acknowledged);
      // Every other claim is published and verified; the rest stay pending.
      const published = n % 2 === 0 && (await publishAndVerify(world, load, gql, world.instances[(n + 1) % world.instances.length], token, acknowledged));
      if (keep !== undefined) held.push({ ...acknowledged, published });
    }
    await gql("read", instance, token, READ, {});
    await new Promise((resolve) => setTimeout(resolve, options.thinkMs));
  }
}

/** Publishes the claim's TXT record and asks for a verification; true once the record is published. */
async function publishAndVerify(world: World, load: Load, gql: Gql, instance: Instance, token: string, claim: Acknowledged): Promise<boolean> {
  const published = await world.dns.update(ZONE, [`update add ${claim.txt.host}. 60 TXT "${claim.txt.value}"`]).then(
    () => true,
    () => false,
  );
  if (!published) return false;
  const verified = await gql("verify", instance, token, VERIFY, { id: claim.id });
  if (verified?.data?.verifyDomain?.verified) load.verified.add(claim.id);
  return true;
}

/** Removes the account's oldest claim and its TXT record; a failed removal is kept to be tried again. */
async function removeOldest(world: World, gql: Gql, instance: Instance, token: string, held: (Acknowledged & { published: boolean })[]): Promise<void> {
  const oldest = held[0];
  const removed = await gql("remove", instance, token, REMOVE, { id: oldest.id });
  const code = removed?.data?.removeDomain?.userErrors?.[0]?.code;
  // NOT_FOUND: already gone (a re-check does not remove claims, but never hold a claim forever).
  if (!removed?.data?.removeDomain?.removedDomainId && code !== "NOT_FOUND") return;
  held.shift();
  if (oldest.published) await world.dns.update(ZONE, [`update delete ${oldest.txt.host}. TXT`]).catch(() => undefined);
}

function request(world: World, load: Load) {
  return async (op: RequestRecord["op"], instance: Instance, token: string, query: string, variables: Record<string, unknown>): Promise<any> => {
    const startedAt = Date.now();
    const toFaulted = instance.faulted;
    let status = 0;
    let body: any = null;
    try {
      const response = await fetch(`${instance.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
      status = response.status;
      body = await response.json().catch(() => null);
    } catch (error) {
      body = { errors: [{ extensions: { code: (error as Error).name === "TimeoutError" ? "CLIENT_TIMEOUT" : "CONNECTION_FAILED" } }] };
    }
    const code = body?.errors?.[0]?.extensions?.code ?? null;
    load.records.push({ op, instance: instance.name, toFaulted, startedAt, ms: Date.now() - startedAt, status, code });
    return body;
  };
}
