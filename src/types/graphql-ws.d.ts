// graphql-ws publishes its ws adapter only through package "exports", which this project's
// "node" module resolution does not read; the runtime (Node's require) does.
declare module "graphql-ws/use/ws" {
  export * from "graphql-ws/dist/use/ws";
}
