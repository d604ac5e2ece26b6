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
  var props = {
    fetcher: GraphiQL.createFetcher({ url: options.endpoint }),
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
