import type { RequestHandler } from "express";
import { DocumentNode, GraphQLError, GraphQLSchema } from "graphql";
import { DocumentLimits, parseWithinLimits } from "./document-limits";
import { ErrorCode, HTTP_STATUS, httpErrorBody, queryTooComplex, tooManyAliases } from "./errors";
import { CostedOperation, OperationCost } from "./query-cost";

export interface QueryLimits extends DocumentLimits {
  /** Highest cost of a whole request, every operation of a batch together (GRAPHQL_MAX_COMPLEXITY). */
  maxComplexity: number;
  /** Most aliases in one operation (GRAPHQL_MAX_ALIASES). */
  maxAliases: number;
}

interface OperationRequest {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
}

/**
 * Refuses a request whose operations together cost more than `maxComplexity`, an operation
 * with more than `maxAliases` aliases, or a document past the token or selection limits, before
 * Apollo sees it: nothing is authenticated, parsed
 * twice or executed, and no operation of a refused batch runs. Per-operation checks inside Apollo
 * could not do that, since the operations of a batch run concurrently. What cannot be measured
 * here (syntax errors, unknown operations, bad variables) passes on for GraphQL to answer.
 */
export function queryLimits(schema: GraphQLSchema, limits: QueryLimits): RequestHandler {
  const operations = new OperationCache(schema, limits);
  return (req, res, next) => {
    let total = 0;
    for (const operation of operationsOf(req.method === "GET" ? fromQueryString(req.query) : req.body)) {
      const measured = measure(operations, operation);
      if (measured.kind === "unmeasured") continue;
      if (measured.kind === "too-large") return refuse(res, measured.error);
      if (measured.kind === "too-many-aliases") return refuse(res, tooManyAliases(measured.aliases, limits.maxAliases));
      if (measured.cost === null) return refuse(res, queryTooComplex(null, limits.maxComplexity));
      total += measured.cost;
    }
    if (total > limits.maxComplexity) return refuse(res, queryTooComplex(total, limits.maxComplexity));
    next();
  };
}

/**
 * What one operation measured on its own is refused with, or null: the same codes and messages
 * as a request's. WebSocket subscribes (src/events), which carry one operation each, ask this.
 */
export function operationRefusal(measured: OperationCost, limits: QueryLimits): GraphQLError | null {
  if (measured.kind === "too-many-aliases") return tooManyAliases(measured.aliases, limits.maxAliases);
  if (measured.kind === "unmeasured") return null;
  if (measured.cost === null || measured.cost > limits.maxComplexity) return queryTooComplex(measured.cost, limits.maxComplexity);
  return null;
}

function measure(operations: OperationCache, operation: OperationRequest): OperationCost | { kind: "too-large"; error: GraphQLError } {
  if (typeof operation.query !== "string") return { kind: "unmeasured" };
  const variables = operation.variables;
  if (variables != null && (typeof variables !== "object" || Array.isArray(variables))) return { kind: "unmeasured" };
  try {
    const costed = operations.get(operation.query, typeof operation.operationName === "string" ? operation.operationName : null);
    if (costed instanceof GraphQLError) return { kind: "too-large", error: costed };
    return costed ? costed.measure(variables as Record<string, unknown> | null) : { kind: "unmeasured" };
  } catch {
    // Whatever could not be measured (a document nested past the stack, say) is GraphQL's to refuse.
    return { kind: "unmeasured" };
  }
}

/** Documents kept, and the longest query text kept: what repeats is the frontends' few operations, not megabytes of strangers' text. */
const CACHED_DOCUMENTS = 200;
const CACHED_QUERY_CHARS = 8_192;

/**
 * The operations of the documents clients repeat, parsed and analysed once: most requests are
 * a handful of queries sent again and again with other variables. Least recently used
 * documents go first; a syntax error, or a document over the limits, is remembered as such.
 */
class OperationCache {
  private readonly documents = new Map<string, { document: DocumentNode | GraphQLError | null; operations: Map<string | null, CostedOperation | null> }>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: QueryLimits,
  ) {}

  /** The operation to cost, the refusal of a document over the limits, or null for what GraphQL itself answers. */
  get(query: string, operationName: string | null): CostedOperation | GraphQLError | null {
    let cached = this.documents.get(query);
    if (cached) {
      // Refreshed as the most recently used.
      this.documents.delete(query);
    } else {
      cached = { document: parsedOrRefusal(query, this.limits), operations: new Map() };
    }
    if (query.length <= CACHED_QUERY_CHARS) {
      this.documents.set(query, cached);
      if (this.documents.size > CACHED_DOCUMENTS) this.documents.delete(this.documents.keys().next().value!);
    }
    if (!cached.document || cached.document instanceof GraphQLError) return cached.document;
    let operation = cached.operations.get(operationName);
    if (operation === undefined) {
      operation = CostedOperation.of(this.schema, cached.document, operationName, this.limits.maxAliases);
      // Names are the client's to choose; a document has only so many operations to find.
      if (cached.operations.size < 16) cached.operations.set(operationName, operation);
    }
    return operation;
  }
}

function parsedOrRefusal(query: string, limits: DocumentLimits): DocumentNode | GraphQLError | null {
  const parsed = parseWithinLimits(query, limits);
  return parsed.kind === "parsed" ? parsed.document : parsed.kind === "refused" ? parsed.error : null;
}

function operationsOf(body: unknown): OperationRequest[] {
  const list = Array.isArray(body) ? body : [body];
  return list.filter((item): item is OperationRequest => typeof item === "object" && item !== null);
}

function fromQueryString(query: Record<string, unknown>): OperationRequest {
  let variables: unknown = undefined;
  if (typeof query.variables === "string") {
    try {
      variables = JSON.parse(query.variables);
    } catch {
      variables = "unparsable";
    }
  }
  return { query: query.query, operationName: query.operationName, variables };
}

function refuse(res: Parameters<RequestHandler>[1], error: GraphQLError): void {
  const code = String(error.extensions.code) as ErrorCode;
  const { code: _code, http: _http, ...extensions } = error.extensions as Record<string, unknown>;
  res.status(HTTP_STATUS[code] ?? 400).json(httpErrorBody(code, error.message, extensions));
}
