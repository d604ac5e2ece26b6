import type { ApolloServer, BaseContext, ContextFunction } from "@apollo/server";
import { HeaderMap } from "@apollo/server";
import type { Request, RequestHandler, Response } from "express";
import { parse } from "node:url";

/**
 * Apollo behind Express, as @as-integrations/express5's expressMiddleware does it, except for
 * how a complete answer is written: `res.end` with its byte length, as node:http takes it,
 * instead of Express's `res.send`. For a body over 1,000 characters res.send first copies the
 * string into a Buffer to learn its length, then parses the content type again to set its
 * charset and checks freshness; an answer of 50 domains with their logs is some 115 KB, every
 * request. The headers are Apollo's (its content type names the charset already); streamed
 * answers (@defer, incremental delivery) are written as the integration writes them.
 */
export function apolloHandler<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  options: { context: ContextFunction<[{ req: Request; res: Response }], TContext> },
): RequestHandler {
  server.assertStarted("apolloHandler()");
  const { context } = options;
  return async (req, res) => {
    if (!("body" in req)) {
      res.status(500);
      res.send("`req.body` is not set; this probably means you forgot to set up the `json` middleware before the Apollo Server middleware.");
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const httpGraphQLResponse = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: req.method.toUpperCase(),
        headers,
        search: parse(req.url).search ?? "",
        body: req.body,
      },
      context: () => context({ req, res }),
    });
    for (const [key, value] of httpGraphQLResponse.headers) res.setHeader(key, value);
    res.statusCode = httpGraphQLResponse.status || 200;
    if (httpGraphQLResponse.body.kind === "complete") {
      const body = httpGraphQLResponse.body.string;
      res.setHeader("content-length", Buffer.byteLength(body));
      res.end(body);
      return;
    }
    for await (const chunk of httpGraphQLResponse.body.asyncIterator) {
      res.write(chunk);
      // compression's flush, when some middleware added it.
      const { flush } = res as { flush?: () => void };
      if (typeof flush === "function") flush.call(res);
    }
    res.end();
  };
}
