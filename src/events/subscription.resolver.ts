import { Arg, Ctx, FieldResolver, ID, Resolver, Root, Subscription } from "type-graphql";
import { AuditEntry } from "../audit/audit-entry.entity";
import { RequestContext } from "../graphql/context";
import { encodeCursor } from "../shared/pagination";
import { unauthenticated } from "../graphql/errors";

/** auditEntryAdded, and the cursor that lets a client resume the feed or a subscription from any entry. */
@Resolver(() => AuditEntry)
export class EventSubscriptionResolver {
  @Subscription(() => AuditEntry, {
    description:
      "The caller's audit entries as they are written (one domain's when domainId is given). With after: a cursor from auditLog, events or an earlier entry, the entries written after it come first, so a client that reconnects misses nothing",
    subscribe: ({ args, context }) => {
      const ctx = context as RequestContext;
      // Only the WebSocket server sets streams, and it refuses anonymous connections before this.
      if (!ctx.streams || !ctx.principal) throw unauthenticated();
      return ctx.streams.auditEntryAdded({ domainId: args.domainId ?? null, after: args.after ?? null });
    },
  })
  auditEntryAdded(
    @Root() entry: AuditEntry,
    @Arg("domainId", () => ID, { nullable: true, description: "Only this domain's entries" }) _domainId: string | null,
    @Arg("after", () => String, { nullable: true, description: "Replay the entries after this cursor first" }) _after: string | null,
  ): AuditEntry {
    return entry;
  }

  @FieldResolver(() => String, { description: "This entry's position in the log: pass it as after to events or auditEntryAdded to continue from here" })
  cursor(@Root() entry: AuditEntry, @Ctx() _ctx: RequestContext): string {
    return encodeCursor(entry);
  }
}
