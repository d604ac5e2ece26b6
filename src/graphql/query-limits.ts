import type { RequestHandler } from "express";
import { GraphQLSchema, parse } from "graphql";
import { ErrorCode, HTTP_STATUS, httpErrorBody, queryTooComplex, tooManyAliases } from "./errors";
import { measureOperation } from "./query-cost";

export interface QueryLimits {
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
 * Refuses a request whose operations together cost more than `maxComplexity`, or an operation
 * with more than `maxAliases` aliases, before Apollo sees it: nothing is authenticated, parsed
 * twice or executed, and no operation of a refused batch runs. Per-operation checks inside Apollo
 * could not do that, since the operations of a batch run concurrently. What cannot be measured
 * here (syntax errors, unknown operations, bad variables) passes on for GraphQL to answer.
 */
export function queryLimits(schema: GraphQLSchema, limits: QueryLimits): RequestHandler {
  return (req, res, next) => {
    const operations = operationsOf(req.method === "GET" ? fromQueryString(req.query) : req.body);
    let total = 0;
    for (const operation of operations) {
      const measured = measure(schema, operation, limits.maxAliases);
      if (measured.kind === "unmeasured") continue;
      if (measured.kind === "too-many-aliases") return refuse(res, tooManyAliases(measured.aliases, limits.maxAliases));
      if (measured.cost === null) return refuse(res, queryTooComplex(null, limits.maxComplexity));
      total += measured.cost;
    }
    if (total > limits.maxComplexity) return refuse(res, queryTooComplex(total, limits.maxComplexity));
    next();
  };
}

function measure(schema: GraphQLSchema, operation: OperationRequest, maxAliases: number): ReturnType<typeof measureOperation> {
  if (typeof operation.query !== "string") return { kind: "unmeasured" };
  const variables = operation.variables;
  if (variables != null && (typeof variables !== "object" || Array.isArray(variables))) return { kind: "unmeasured" };
  try {
    const document = parse(operation.query, { noLocation: true });
    return measureOperation(schema, document, typeof operation.operationName === "string" ? operation.operationName : null, variables as Record<string, unknown> | null, maxAliases);
  } catch {
    return { kind: "unmeasured" };
  }
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

function refuse(res: Parameters<RequestHandler>[1], error: ReturnType<typeof queryTooComplex>): void {
  const code = String(error.extensions.code) as ErrorCode;
  const { code: _code, http: _http, ...extensions } = error.extensions as Record<string, unknown>;
  res.status(HTTP_STATUS[code] ?? 400).json(httpErrorBody(code, error.message, extensions));
}
