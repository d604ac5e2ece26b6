import { FieldResolver, Resolver, Root } from "type-graphql";
import { VerificationCheck } from "../verification/verification-check.type";
import type { VerificationCheckData } from "../verification/types";
import { Corroboration, PerspectiveResult } from "./perspective.types";

/** The remote perspectives' part of a check; checks recorded before perspectives existed have none. */
@Resolver(() => VerificationCheck)
export class CheckPerspectivesResolver {
  @FieldResolver(() => [PerspectiveResult], { description: "Remote perspectives' results; empty when none are configured" })
  perspectives(@Root() check: VerificationCheckData): PerspectiveResult[] {
    return check.perspectives ?? [];
  }

  @FieldResolver(() => Corroboration, { nullable: true, description: "Null when no remote perspectives are configured" })
  corroboration(@Root() check: VerificationCheckData): Corroboration | null {
    return check.corroboration ?? null;
  }
}
