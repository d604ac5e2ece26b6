import { Field, ObjectType, registerEnumType } from "type-graphql";
import { UserErrorCode, type UserError as UserErrorData } from "../shared/errors";

export { UserErrorCode };

registerEnumType(UserErrorCode, {
  name: "UserErrorCode",
  description: "Why a mutation could not do what was asked",
  valuesConfig: {
    INVALID_DOMAIN: { description: "Not a valid domain name (syntax, length, IP address, single label, wildcard)" },
    PUBLIC_SUFFIX: { description: "A public suffix such as com or co.uk cannot be claimed" },
    DOMAIN_LIMIT_REACHED: { description: "The account already has as many domains as it may have" },
    NOT_FOUND: { description: "No such domain or API key for this caller (also for other accounts' ids)" },
    INVALID_NAME: { description: "The name given is empty, too long, or contains control characters" },
    DOMAIN_NOT_VERIFIED: { description: "The domain must be VERIFIED first (e.g. to scope an API key to it)" },
    API_KEY_LIMIT_REACHED: { description: "The account already has as many active API keys as it may have (MAX_API_KEYS_PER_ACCOUNT)" },
    INVALID_CSR: { description: "Not a usable PKCS#10 certificate signing request (format, signature, key type or size)" },
    INVALID_URL: { description: "Not an acceptable webhook URL (scheme, host, or an address that is not public)" },
    WEBHOOK_LIMIT_REACHED: {
      description: "The account already has as many webhook endpoints as it may have (MAX_WEBHOOK_ENDPOINTS_PER_ACCOUNT)",
    },
    CERTIFICATE_LIMIT_REACHED: {
      description: "The domain already has as many active (unrevoked, unexpired) certificates as it may have (MAX_CERTIFICATES_PER_DOMAIN)",
    },
    SCOPE_TOO_NARROW: { description: "Wildcard certificates need a VERIFIED domain whose scope is SUBTREE" },
  },
});

@ObjectType("UserError", { description: "A problem with the input that the caller can fix; the mutation changed nothing" })
export class UserError implements UserErrorData {
  @Field(() => [String], { nullable: true, description: 'Path to the offending input field, e.g. ["input", "name"]' })
  field!: string[] | null;
  @Field(() => String, { description: "What is wrong and how to fix it, in one sentence" })
  message!: string;
  @Field(() => UserErrorCode, { description: "Machine-readable reason" })
  code!: UserErrorCode;
}
