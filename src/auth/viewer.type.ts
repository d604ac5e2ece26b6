import { Field, ID, ObjectType } from "type-graphql";

/** Who the caller is; features add what the account holds (domains/ adds domainCount and domainLimit). */
@ObjectType("Viewer", { description: "Who the caller is and what the account may still do" })
export class Viewer {
  @Field(() => ID, { description: "The account the caller acts for" })
  accountId!: string;
  @Field(() => ID, { nullable: true, description: "The user id (JWT sub); null for admin-secret and API-key callers" })
  userId!: string | null;
  @Field(() => String, { nullable: true, description: "The caller's e-mail address, when known" })
  email!: string | null;
  @Field(() => Boolean, { description: "Whether admin fields are open to the caller" })
  isAdmin!: boolean;
}
