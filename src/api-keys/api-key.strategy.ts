import type { BearerStrategy } from "../auth/authenticator";
import type { ApiKeyService } from "./api-key.service";
import { API_KEY_PREFIX } from "./api-key.secret";

/** Claims every bearer token that starts with dpk_, so a malformed key is refused as a key, not parsed as a JWT. */
export function apiKeyStrategy(keys: ApiKeyService): BearerStrategy {
  return async (token) => (token.startsWith(API_KEY_PREFIX) ? keys.authenticate(token) : null);
}
