import type http from "node:http";
import type https from "node:https";

/**
 * Tracks the requests in flight on one HTTP(S) server so shutdown can wait for them. While
 * draining the port stays open (a load balancer asking /readyz gets its 503 instead of a
 * refused connection) and every response closes its connection, so no keep-alive socket
 * outlives the drain.
 */
export class HttpDrain {
  private inFlight = 0;
  private idle: (() => void) | null = null;
  private draining = false;

  constructor(private readonly server: http.Server | https.Server) {
    server.on("request", (_req: http.IncomingMessage, res: http.ServerResponse) => {
      this.inFlight++;
      if (this.draining) res.setHeader("connection", "close");
      res.once("close", () => {
        this.inFlight--;
        if (this.inFlight === 0) this.idle?.();
      });
    });
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Resolves once no request is in flight and the server has stopped listening. */
  async drain(): Promise<void> {
    this.draining = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.idle = null;
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Nothing is in flight, so whatever sockets remain are idle keep-alives.
    this.server.closeAllConnections();
    await closed;
  }
}
