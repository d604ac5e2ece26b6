// The explorer's own browser code, kept as strings rather than .js/.css files:
// `tsc` copies only what it compiles into dist/, and serialising a TypeScript
// function instead would break under coverage instrumentation.

/**
 * Boots GraphiQL from the options block the page carries, so the page itself
 * needs no inline script and the Content-Security-Policy can forbid them.
 */
export const bootScript = `"use strict";
(function () {
  var options = JSON.parse(document.getElementById("graphiql-options").textContent);
  // react-remove-scroll (GraphiQL's dialogs) injects a <style> element and
  // tags it with this nonce, which the page's style-src allows.
  window.__webpack_nonce__ = options.styleNonce;
  var httpFetcher = GraphiQL.createFetcher({ url: options.endpoint });
  // Subscriptions go over graphql-ws on the same path. The socket authenticates once, with
  // the headers editor's Authorization as connectionParams: one client per distinct value.
  var wsUrl = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + options.endpoint;
  var wsClients = {};
  function wsClientFor(authorization) {
    var key = authorization || "";
    if (!wsClients[key]) {
      wsClients[key] = graphqlWs.createClient({
        url: wsUrl,
        lazy: true,
        retryAttempts: 0,
        connectionParams: authorization ? { Authorization: authorization } : {},
      });
    }
    return wsClients[key];
  }
  function isSubscription(params, documentAST) {
    var definitions = (documentAST && documentAST.definitions) || [];
    for (var i = 0; i < definitions.length; i++) {
      var d = definitions[i];
      if (d.kind === "OperationDefinition" && (!params.operationName || (d.name && d.name.value === params.operationName))) {
        return d.operation === "subscription";
      }
    }
    return /^\s*subscription\b/.test(params.query || "");
  }
  function headerValue(headers, name) {
    for (var key in headers || {}) if (key.toLowerCase() === name) return headers[key];
    return undefined;
  }
  function fetcher(params, opts) {
    if (!isSubscription(params, opts && opts.documentAST)) return httpFetcher(params, opts);
    var client = wsClientFor(headerValue(opts && opts.headers, "authorization"));
    // GraphiQL shows each next value of an observable as it comes.
    return {
      subscribe: function (observer) {
        var sink = {
          next: function (value) { observer.next && observer.next(value); },
          error: function (error) {
            var message = error && error.message ? error.message : error && error.code ? "The connection closed (" + error.code + " " + (error.reason || "") + ")" : String(error);
            observer.error && observer.error(Array.isArray(error) ? { errors: error } : new Error(message));
          },
          complete: function () { observer.complete && observer.complete(); },
        };
        var dispose = client.subscribe({ query: params.query, variables: params.variables, operationName: params.operationName }, sink);
        return { unsubscribe: dispose };
      },
    };
  }
  var props = {
    fetcher: fetcher,
    defaultQuery: options.defaultQuery,
  };
  if (options.defaultHeaders) {
    props.defaultHeaders = options.defaultHeaders;
    // Show the pre-filled token so nobody wonders where their identity came from.
    props.defaultEditorToolsVisibility = "headers";
  }
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, props)
  );
})();
`;

/** GraphiQL fills its container; the container has to fill the window. */
export const pageStyles = `html, body { margin: 0; height: 100%; }
#graphiql { height: 100vh; height: 100dvh; }
`;
