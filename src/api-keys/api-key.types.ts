import { Field, ID, InputType, ObjectType } from "type-graphql";
import { ApiKey } from "./api-key.entity";
import { UserError } from "../graphql/user-error";
import { connectionTypes } from "../graphql/connection";

export const { EdgeType: ApiKeyEdge, ConnectionType: ApiKeyConnection } = connectionTypes(ApiKey, "ApiKey", "API key");

@InputType("CreateApiKeyInput", { description: "The key to create" })
export class CreateApiKeyInput {
  @Field(() => String, { description: "What the key is for, 1 to 100 characters, e.g. \"CI deploys\"" })
  name!: string;
  @Field(() => ID, {
    nullable: true,
    description: "Scope the key to this VERIFIED domain: it then sees and acts on that domain alone. Omit for the account's full access",
  })
  domainId!: string | null;
}

@InputType("ApiKeyInput", { description: "Which of the account's API keys to act on" })
export class ApiKeyInput {
  @Field(() => ID, { description: "The API key's id" })
  id!: string;
}

@ObjectType("CreateApiKeyPayload", { description: "The result of createApiKey" })
export class CreateApiKeyPayload {
  @Field(() => ApiKey, { nullable: true, description: "The new key; null when userErrors is not empty" })
  apiKey!: ApiKey | null;
  @Field(() => String, {
    nullable: true,
    description: "The secret to send as Authorization: Bearer <secret>. Shown this once: only a hash of it is kept",
  })
  secret!: string | null;
  @Field(() => [UserError], { description: "Why no key was created; empty on success" })
  userErrors!: UserError[];
}

@ObjectType("RevokeApiKeyPayload", { description: "The result of revokeApiKey" })
export class RevokeApiKeyPayload {
  @Field(() => ApiKey, { nullable: true, description: "The key, now revoked" })
  apiKey!: ApiKey | null;
  @Field(() => [UserError], { description: "Why nothing was revoked; empty on success" })
  userErrors!: UserError[];
}
